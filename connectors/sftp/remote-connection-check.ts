// `sluice validate --connect` for the sftp and scp sources and sinks: the host key is trusted, the login is
// accepted and, for a source, the folder it reads can be listed (paths relative to the login folder, as at run).
import { posix } from 'node:path';
import type { ConfigProblem, ConnectContext } from '../../core/plugin.js';
import { checkFolder, quietLogger } from '../filesystem/connection-check.js';
import type { SshConnectionConfig } from './connection.js';
import { openRemoteFileSystem } from './remote-source.js';

export async function checkRemoteConnection(
  protocol: 'sftp' | 'scp',
  config: SshConnectionConfig & { directory: string },
  ctx: ConnectContext,
  role: 'source' | 'sink',
): Promise<ConfigProblem[]> {
  const where = `${protocol} ${role}`;
  const adapter = openRemoteFileSystem(protocol, config, { baseDir: ctx.baseDir, logger: quietLogger }, where);
  return checkFolder({
    open: async () => adapter,
    folder: async () => (role === 'source' ? posix.resolve(await adapter.home(), config.directory) : undefined),
    loginFolder: () => adapter.home(),
    // A host key that is not trusted carries its fingerprint; any other refusal is the login's.
    authKey: (details) =>
      details.fingerprint === undefined ? 'user' : config.knownHosts !== undefined ? 'knownHosts' : 'hostKeys',
  });
}
