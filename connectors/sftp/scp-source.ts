// The `scp` source: for servers that offer only SCP. Listings run GNU find over an exec channel, downloads use
// the legacy SCP protocol; stability, processed-file state and after-read actions are the shared file source's.
import { defineSource } from '../../core/plugin.js';
import { checkRemoteConnection } from './remote-connection-check.js';
import { createRemoteSource, remoteSourceConfig } from './remote-source.js';

export default defineSource({
  name: 'scp',
  summary: 'Read files from an SSH server that offers only SCP (host key verified), with the same rules as sftp.',
  config: remoteSourceConfig,
  checkConnection: (config, ctx) => checkRemoteConnection('scp', config, ctx, 'source'),
  create: (config, ctx) => createRemoteSource('scp', config, ctx),
});
