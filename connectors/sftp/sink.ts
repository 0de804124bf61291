// The `sftp` sink: one file per batch on an SFTP server, uploaded under a temporary name, verified, then renamed.
import { defineSink } from '../../core/plugin.js';
import { checkRemoteConnection } from './remote-connection-check.js';
import { createRemoteSink, remoteSinkConfig } from './remote-sink.js';

export default defineSink({
  name: 'sftp',
  summary: 'Write events to files on an SFTP server (host key verified): one file per batch, verified, then renamed.',
  config: remoteSinkConfig,
  checkConnection: (config, ctx) => checkRemoteConnection('sftp', config, ctx, 'sink'),
  create: (config, ctx) => createRemoteSink('sftp', config, ctx),
});
