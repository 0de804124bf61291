// `sluice validate --connect` with the ftp, sftp and scp connectors: against a real vsftpd and sshd, a refused
// login, an untrusted host key, a folder that is not there and a server that does not answer are each a problem
// at the key to fix (exit 2 from the command), with no password in the message; a working setup passes.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import { freePort } from '../harness/loopback.js';
import { SSH_PASSWORD, SSH_USER, ThrowawaySshd } from '../harness/throwaway-sshd.js';
import { ThrowawayVsftpd } from '../harness/throwaway-vsftpd.js';

let ftp: ThrowawayVsftpd;
let sshd: ThrowawaySshd;

beforeAll(async () => {
  [ftp, sshd] = await Promise.all([ThrowawayVsftpd.start(), ThrowawaySshd.start()]);
  mkdirSync(join(ftp.root, 'in'), { recursive: true });
  mkdirSync(join(sshd.dataDir, 'in'), { recursive: true });
}, 120_000);

afterAll(async () => {
  await Promise.all([ftp?.stop(), sshd?.destroy()]);
});

/** A pipeline file whose source (or sink) is `component`, YAML flow-mapping text. */
function pipelineFile(component: string, role: 'source' | 'sink'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-connect-files-')), 'p.yaml');
  const lines =
    role === 'source'
      ? ['pipelines:', '  p:', `    source: ${component}`, '    topic: t', '    sinks: [ { type: stdout } ]', '']
      : [
          'pipelines:',
          '  p:',
          '    source: { type: generate, count: 1 }',
          '    topic: t',
          `    sinks: [ ${component} ]`,
          '',
        ];
  writeFileSync(file, lines.join('\n'));
  return file;
}

async function connectProblem(component: string, role: 'source' | 'sink' = 'source'): Promise<string | undefined> {
  return loadConfig([pipelineFile(component, role)], { builtins, env: {}, connect: true }).then(
    () => undefined,
    (err: unknown) => (err as Error).message,
  );
}

/** The `p.yaml:line:column` a problem at `key` of the component is reported at: where its value starts. */
function at(component: string, key: string, role: 'source' | 'sink' = 'source'): RegExp {
  const line = role === 'source' ? 3 : 5;
  const prefix = role === 'source' ? '    source: ' : '    sinks: [ ';
  const column = prefix.length + component.indexOf(`${key}: `) + key.length + 3;
  return new RegExp(`at \\S*p\\.yaml:${line}:${column}$`);
}

const ftpAt = (port: number, password: string, directory: string) =>
  `{ type: ftp, host: 127.0.0.1, port: ${port}, user: ftpuser, password: ${password}, directory: "${directory}" }`;

const ssh = (type: string, extra: string, directory = join(sshd.dataDir, 'in')) =>
  `{ type: ${type}, host: 127.0.0.1, port: ${sshd.port}, user: ${SSH_USER}, directory: "${directory}", ${extra} }`;

describe('validate --connect with the ftp connectors', () => {
  it('passes when the server takes the login and the folder is there', async () => {
    expect(await connectProblem(ftpAt(ftp.port, ftp.password, '/in'))).toBeUndefined();
    expect(await connectProblem(ftpAt(ftp.port, ftp.password, '/out/{date}'), 'sink')).toBeUndefined();
  });

  it('reports a refused login at user, without the password', async () => {
    const component = ftpAt(ftp.port, 'canary-pw-4411', '/in');
    const message = await connectProblem(component);
    expect(message).toMatch(/refused the login \(530.*check user and password/s);
    expect(message).toMatch(at(component, 'user'));
    expect(message).not.toContain('canary-pw-4411');
  });

  it('reports a folder that is not there at directory', async () => {
    const component = ftpAt(ftp.port, ftp.password, '/nowhere');
    const message = await connectProblem(component);
    expect(message).toMatch(/cannot list the folder "\/nowhere": the server answered 550/);
    expect(message).toMatch(at(component, 'directory'));
  });

  it('reports a server that does not answer at host', async () => {
    const component = ftpAt(await freePort(), ftp.password, '/in');
    const message = await connectProblem(component);
    expect(message).toMatch(/cannot connect: .*ECONNREFUSED/);
    expect(message).toMatch(at(component, 'host'));
  });
});

describe('validate --connect with the sftp and scp connectors', () => {
  it('passes with a trusted host key and a working login, for sources and sinks', async () => {
    const trusted = `knownHosts: "${sshd.knownHostsPath}", password: ${SSH_PASSWORD}`;
    const byKey = `knownHosts: "${sshd.knownHostsPath}", privateKey: "${sshd.clientKeyPath}"`;
    expect(await connectProblem(ssh('sftp', trusted))).toBeUndefined();
    expect(await connectProblem(ssh('scp', trusted))).toBeUndefined();
    expect(await connectProblem(ssh('sftp', trusted), 'sink')).toBeUndefined();
    expect(await connectProblem(ssh('scp', byKey), 'sink')).toBeUndefined();
  });

  it('reports a host key that is not trusted at hostKeys, with the fingerprint to trust', async () => {
    const component = ssh('sftp', `hostKeys: ["SHA256:${'A'.repeat(43)}"], password: ${SSH_PASSWORD}`);
    const message = await connectProblem(component);
    expect(message).toContain(sshd.hostKeyFingerprint);
    expect(message).toMatch(at(component, 'hostKeys'));
  });

  it('reports a refused login at user, without the password', async () => {
    const component = ssh('scp', `knownHosts: "${sshd.knownHostsPath}", password: canary-pw-9923`);
    const message = await connectProblem(component, 'sink');
    expect(message).toMatch(/the server refused the login/);
    expect(message).toMatch(at(component, 'user', 'sink'));
    expect(message).not.toContain('canary-pw-9923');
  });

  it('reports a folder that is not there at directory', async () => {
    const trusted = `knownHosts: "${sshd.knownHostsPath}", password: ${SSH_PASSWORD}`;
    const component = ssh('sftp', trusted, join(sshd.dataDir, 'nowhere'));
    const message = await connectProblem(component);
    expect(message).toMatch(/listing .*nowhere: No such file/);
    expect(message).toMatch(at(component, 'directory'));
  });
});
