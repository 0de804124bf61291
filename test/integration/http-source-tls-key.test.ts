// An http source whose TLS key cannot be used: an encrypted key with a wrong or missing passphrase, a file that
// is not a key, a key of another certificate. Each is a config error when the source is created, naming the
// config path and the file and saying what to do, with neither the passphrase nor the key's text in it or in
// the logs.
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import httpSource from '../../connectors/http/source.js';
import { createTestContext } from '../harness/http-context.js';
import { createTestCerts, type TestCerts } from '../harness/tls-certs.js';

const PASSPHRASE = 'canary-passphrase-7f3a9c';
const WRONG = 'canary-wrong-passphrase-51be02';

let certs: TestCerts;
let encryptedKeyFile: string;
let encryptedKey: string;

beforeAll(() => {
  certs = createTestCerts();
  encryptedKey = createPrivateKey(certs.serverKey)
    .export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: PASSPHRASE })
    .toString();
  encryptedKeyFile = join(certs.dir, 'server-encrypted.key');
  writeFileSync(encryptedKeyFile, encryptedKey);
});
afterAll(() => certs.remove());

async function createWith(tls: Record<string, unknown>) {
  const ctx = createTestContext({ pipeline: 'ingest', baseDir: certs.dir });
  const error = await Promise.resolve()
    .then(() => httpSource.create(httpSource.config.parse({ host: '127.0.0.1', port: 0, path: '/in', tls }), ctx))
    .then(
      () => undefined,
      (err: unknown) => err as { kind?: string; code?: string; message: string },
    );
  ctx.controller.abort();
  return { error, logs: JSON.stringify(ctx.logs) };
}

function expectNoSecret(text: string): void {
  for (const secret of [PASSPHRASE, WRONG, '-----BEGIN', encryptedKey.split('\n')[1] ?? '']) {
    expect(text).not.toContain(secret);
  }
}

describe('http source: a TLS key it cannot use', () => {
  it('starts with an encrypted key and its passphrase', async () => {
    const { error } = await createWith({ cert: certs.serverCertFile, key: encryptedKeyFile, passphrase: PASSPHRASE });
    expect(error).toBeUndefined();
  });

  const cases: Array<{ name: string; tls: () => Record<string, unknown>; says: RegExp }> = [
    {
      name: 'an encrypted key with a wrong passphrase',
      tls: () => ({ cert: certs.serverCertFile, key: encryptedKeyFile, passphrase: WRONG }),
      says: /wrong passphrase.*give the passphrase the key was encrypted with/,
    },
    {
      name: 'an encrypted key given inline with a wrong passphrase',
      tls: () => ({ cert: certs.serverCert, key: encryptedKey, passphrase: WRONG }),
      says: /PEM text given inline\) cannot be decrypted with tls\.passphrase/,
    },
    {
      name: 'an encrypted key without a passphrase',
      tls: () => ({ cert: certs.serverCertFile, key: encryptedKeyFile }),
      says: /is encrypted and no tls\.passphrase is set; set tls\.passphrase/,
    },
    {
      name: 'a tls.key file that is not a key',
      tls: () => {
        const file = join(certs.dir, 'not-a-key.pem');
        writeFileSync(file, '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n');
        return { cert: certs.serverCertFile, key: file };
      },
      says: /not-a-key\.pem\) is not a PEM private key Node\.js can read; give the PEM file of the key/,
    },
    {
      name: 'the key of another certificate',
      tls: () => {
        const file = join(certs.dir, 'other.key');
        writeFileSync(
          file,
          generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
        );
        return { cert: certs.serverCertFile, key: file };
      },
      says: /other\.key\) does not belong to tls\.cert/,
    },
  ];

  for (const c of cases) {
    it(`refuses ${c.name} with a config error naming tls.key and no secret`, async () => {
      const { error, logs } = await createWith(c.tls());
      expect(error).toMatchObject({ kind: 'config', code: 'E_HTTP_TLS_KEY' });
      expect(error?.message).toMatch(/^http source "ingest": tls\.key \(/);
      expect(error?.message).toMatch(c.says);
      expectNoSecret(error?.message ?? '');
      expectNoSecret(JSON.stringify(error));
      expectNoSecret(logs);
    });
  }
});
