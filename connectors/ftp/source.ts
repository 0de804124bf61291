// The `ftp` source: the shared file source (connectors/filesystem/file-source.ts) over FTP or FTPS. Its keys
// are the `file` source's plus the connection's, so moving a pipeline from a folder to a server changes only
// the connection.
import { defineSource, type PluginContext, type PollSource, z } from '../../core/plugin.js';
import { checkFolder, quietLogger } from '../filesystem/connection-check.js';
import { createSharedFileSource } from '../filesystem/file-source.js';
import { rootedPath } from '../filesystem/fs-path.js';
import { checkFileSource, fileSourceShape } from '../filesystem/source-config.js';
import { ftpConnectionShape } from './connection.js';
import { ftpAuthKey, ftpOpener } from './open-ftp.js';

const PATHS = 'a path on the server';

export const ftpSourceConfig = z
  .object({ ...ftpConnectionShape(), ...fileSourceShape(PATHS) })
  .superRefine(checkFileSource);

export type FtpSourceConfig = z.output<typeof ftpSourceConfig>;

export function createFtpSource(config: FtpSourceConfig, ctx: PluginContext): PollSource {
  const where = 'ftp source';
  const remote = (path: string | undefined) => (path === undefined ? undefined : rootedPath(path));
  return createSharedFileSource({
    config: {
      ...config,
      directory: rootedPath(config.directory),
      moveTo: remote(config.moveTo),
      failedTo: remote(config.failedTo),
    },
    connect: ftpOpener(config, ctx, where),
    where,
    logger: ctx.logger,
  });
}

export default defineSource({
  name: 'ftp',
  summary:
    'Read the files of a folder on an FTP or FTPS server, as NDJSON, lines, CSV or whole files, once fully uploaded.',
  config: ftpSourceConfig,
  checkConnection: (config, ctx) =>
    checkFolder({
      open: ftpOpener(config, { ...ctx, logger: quietLogger }, 'ftp source'),
      folder: async () => rootedPath(config.directory),
      loginFolder: async () => '/',
      authKey: ftpAuthKey,
    }),
  create: (config, ctx) => createFtpSource(config, ctx),
});
