// Opens the FTP file system from a source's or sink's config: reads the CA file and warns, at every start,
// when certificate checks are off.
import { resolve } from 'node:path';
import type { PluginContext } from '../../core/plugin.js';
import type { FtpConnectionConfig } from './connection.js';
import { FtpFileSystem } from './ftp-file-system.js';
import { readCaFile } from './ftp-pool.js';

/** The key to fix when the server refused: 530 is the login, anything else the certificate checks. */
export const ftpAuthKey = (details: Record<string, unknown>): string => (details.reply === 530 ? 'user' : 'tls');

export function ftpOpener(
  connection: FtpConnectionConfig,
  ctx: Pick<PluginContext, 'baseDir' | 'logger'>,
  where: string,
): () => Promise<FtpFileSystem> {
  const caFile = connection.tls.caFile === undefined ? undefined : resolve(ctx.baseDir, connection.tls.caFile);
  const ca = readCaFile(caFile, where);
  if (connection.tls.mode !== 'none' && !connection.tls.verify && connection.tls.fingerprint === undefined) {
    ctx.logger.warn(
      { host: connection.host },
      `${where}: tls.verify is false: any certificate is accepted, so anyone on the path can read the password and the files; set tls.caFile or tls.fingerprint`,
    );
  }
  return async () => new FtpFileSystem(connection, ctx.logger, ca);
}
