// The `scp` sink: for servers that offer only SCP. Each batch file is sent with the legacy SCP protocol under a
// temporary name, verified, then renamed with `mv`.
import { defineSink } from '../../core/plugin.js';
import { checkRemoteConnection } from './remote-connection-check.js';
import { createRemoteSink, remoteSinkConfig } from './remote-sink.js';

export default defineSink({
  name: 'scp',
  summary: 'Write events to files on an SSH server that offers only SCP: one file per batch, verified, then moved.',
  config: remoteSinkConfig,
  checkConnection: (config, ctx) => checkRemoteConnection('scp', config, ctx, 'sink'),
  create: (config, ctx) => createRemoteSink('scp', config, ctx),
});
