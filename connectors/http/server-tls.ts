// The http source's certificate and key, read and checked when the source is created, so that a key that cannot
// be used is a config error naming the key, not an OpenSSL code thrown later while a server starts. Messages
// name the config path and the file, never the key's text or the passphrase.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../../core/errors.js';
import { loadPem } from './connection.js';

export interface ServerTls {
  cert: string;
  key: string;
  passphrase?: string;
}

interface ServerTlsConfig {
  cert: string;
  key: string;
  passphrase?: string | undefined;
}

/** Where a PEM came from, for messages: the file, or that it was given inline. */
function origin(value: string): string {
  return value.includes('-----BEGIN') ? 'PEM text given inline' : value;
}

function keyProblem(err: unknown, hasPassphrase: boolean): string {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'ERR_OSSL_BAD_DECRYPT') {
    return 'cannot be decrypted with tls.passphrase (wrong passphrase); give the passphrase the key was encrypted with';
  }
  if (!hasPassphrase && (code === 'ERR_MISSING_PASSPHRASE' || code.includes('INTERRUPTED_OR_CANCELLED'))) {
    return 'is encrypted and no tls.passphrase is set; set tls.passphrase (e.g. passphrase: ${TLS_KEY_PASSPHRASE})';
  }
  return 'is not a PEM private key Node.js can read; give the PEM file of the key (BEGIN PRIVATE KEY, BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)';
}

/**
 * Reads `tls.cert` and `tls.key` (PEM text or file paths under `baseDir`) and checks that the key opens with the
 * passphrase and belongs to the certificate. `where` names the source in messages (`http source "ingest"`).
 */
export function loadServerTls(tls: ServerTlsConfig, where: string, baseDir: string): ServerTls {
  const cert = loadPem(tls.cert, 'tls.cert', baseDir);
  const key = loadPem(tls.key, 'tls.key', baseDir);
  const passphrase = tls.passphrase;
  try {
    createPrivateKey(passphrase === undefined ? { key } : { key, passphrase });
  } catch (err) {
    throw new ConfigError(`${where}: tls.key (${origin(tls.key)}) ${keyProblem(err, passphrase !== undefined)}`, {
      code: 'E_HTTP_TLS_KEY',
    });
  }
  try {
    new X509Certificate(cert);
  } catch {
    throw new ConfigError(
      `${where}: tls.cert (${origin(tls.cert)}) is not a PEM certificate; give the server certificate (chain) as PEM (BEGIN CERTIFICATE)`,
      { code: 'E_HTTP_TLS_CERT' },
    );
  }
  try {
    createSecureContext(passphrase === undefined ? { cert, key } : { cert, key, passphrase });
  } catch {
    throw new ConfigError(
      `${where}: tls.key (${origin(tls.key)}) does not belong to tls.cert (${origin(tls.cert)}); give the key the certificate was issued for`,
      { code: 'E_HTTP_TLS_KEY' },
    );
  }
  return passphrase === undefined ? { cert, key } : { cert, key, passphrase };
}
