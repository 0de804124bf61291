// The `sftp` source: files on an SSH server read over SFTP, with everything the shared file source gives.
import { defineSource } from '../../core/plugin.js';
import { checkRemoteConnection } from './remote-connection-check.js';
import { createRemoteSource, remoteSourceConfig } from './remote-source.js';

export default defineSource({
  name: 'sftp',
  summary:
    'Read files from an SFTP server (host key verified) as NDJSON, lines, CSV or whole files, once fully written.',
  config: remoteSourceConfig,
  checkConnection: (config, ctx) => checkRemoteConnection('sftp', config, ctx, 'source'),
  create: (config, ctx) => createRemoteSource('sftp', config, ctx),
});
