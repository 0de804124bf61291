// The `ftp` sink: the shared file sink (connectors/filesystem/file-sink.ts) over FTP or FTPS: one file per
// batch, uploaded under a hidden temporary name and then renamed.
import { defineSink, type PluginContext, type SinkInstance, z } from '../../core/plugin.js';
import { checkFolder, quietLogger } from '../filesystem/connection-check.js';
import { createSharedFileSink } from '../filesystem/file-sink.js';
import { rootedPath } from '../filesystem/fs-path.js';
import { checkFileSink, fileSinkShape } from '../filesystem/sink-config.js';
import { ftpConnectionShape } from './connection.js';
import { ftpAuthKey, ftpOpener } from './open-ftp.js';

export const ftpSinkConfig = z
  .object({ ...ftpConnectionShape(), ...fileSinkShape('a path on the server') })
  .superRefine(checkFileSink);

export type FtpSinkConfig = z.output<typeof ftpSinkConfig>;

export function createFtpSink(config: FtpSinkConfig, ctx: PluginContext): SinkInstance {
  const where = 'ftp sink';
  return createSharedFileSink({
    config: { ...config, directory: rootedPath(config.directory) },
    connect: ftpOpener(config, ctx, where),
    where,
    ctx,
  });
}

export default defineSink({
  name: 'ftp',
  summary: 'Write events to files on an FTP or FTPS server: one file per batch, uploaded then renamed.',
  config: ftpSinkConfig,
  checkConnection: (config, ctx) =>
    checkFolder({
      open: ftpOpener(config, { ...ctx, logger: quietLogger }, 'ftp sink'),
      folder: async () => undefined,
      loginFolder: async () => '/',
      authKey: ftpAuthKey,
    }),
  create: (config, ctx) => createFtpSink(config, ctx),
});
