// The file connector conformance suite on SFTP and on SCP, against a real OpenSSH sshd started here; the
// connection cut kills sshd and every session process it forked.
import { createRemoteSink, remoteSinkConfig } from '../../connectors/sftp/remote-sink.js';
import { createRemoteSource, openRemoteFileSystem, remoteSourceConfig } from '../../connectors/sftp/remote-source.js';
import { SSH_USER, ThrowawaySshd } from '../harness/throwaway-sshd.js';
import { describeConnectorConformance } from './connector.js';
import { testPluginContext } from './plugin-context.js';

for (const protocol of ['sftp', 'scp'] as const) {
  describeConnectorConformance(protocol === 'sftp' ? 'SFTP (OpenSSH)' : 'SCP (OpenSSH)', async () => {
    const server = await ThrowawaySshd.start();
    const ctx = testPluginContext({ baseDir: server.dir });
    const keys = {
      host: '127.0.0.1',
      port: server.port,
      user: SSH_USER,
      privateKey: server.clientKeyPath,
      knownHosts: server.knownHostsPath,
      timeoutMs: 10_000,
    };
    // Folders of the suite live in the server's writable data folder, given to the connectors as absolute paths.
    const at = (folder: string) => `${server.dataDir}${folder}`;
    return {
      capabilities: { atomicRename: true, append: protocol === 'sftp', readFromOffset: true },
      fileSystem: async () =>
        openRemoteFileSystem(protocol, remoteSourceConfig.parse({ ...keys, directory: '.' }), ctx, 'suite', {
          root: server.dataDir,
        }),
      keyPath: at,
      source: async (k) => createRemoteSource(protocol, remoteSourceConfig.parse({ ...keys, ...k }), ctx),
      sink: async (k) => createRemoteSink(protocol, remoteSinkConfig.parse({ ...keys, ...k }), ctx),
      async cutConnections() {
        await server.crash();
        await server.restart();
      },
      cleanup: () => server.destroy(),
    };
  });
}
