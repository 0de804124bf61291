// The file connector conformance suite on FTP and on FTPS, explicit (AUTH TLS) and implicit (TLS from the first
// byte), the certificate verified against the server's own certificate as CA, against a real vsftpd started here.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FtpFileSystem } from '../../connectors/ftp/ftp-file-system.js';
import { createFtpSink, ftpSinkConfig } from '../../connectors/ftp/sink.js';
import { createFtpSource, ftpSourceConfig } from '../../connectors/ftp/source.js';
import { ThrowawayVsftpd } from '../harness/throwaway-vsftpd.js';
import { describeConnectorConformance } from './connector.js';
import { testPluginContext } from './plugin-context.js';

const MODES = [
  { name: 'FTP', mode: 'none' },
  { name: 'FTPS (explicit, verified)', mode: 'explicit' },
  { name: 'FTPS (implicit, verified)', mode: 'implicit' },
] as const;

for (const { name, mode } of MODES) {
  describeConnectorConformance(name, async () => {
    const tls = mode !== 'none';
    const server = await ThrowawayVsftpd.start({ tls: mode === 'implicit' ? 'implicit' : tls });
    const ctx = testPluginContext({ baseDir: server.dir });
    if (tls) writeFileSync(join(server.dir, 'ca.pem'), server.certificate());
    const connection = ftpSourceConfig.parse({
      directory: '/',
      host: '127.0.0.1',
      port: server.port,
      user: server.user,
      password: server.password,
      tls: tls ? { mode, caFile: 'ca.pem' } : { mode },
      connectRetries: 1,
      timeoutMs: 10_000,
    });
    const keys = {
      host: connection.host,
      port: connection.port,
      user: connection.user,
      password: connection.password,
      tls: connection.tls,
      connectRetries: 1,
      timeoutMs: 10_000,
    };
    return {
      capabilities: { atomicRename: false, append: true, readFromOffset: true },
      fileSystem: async () => new FtpFileSystem(connection, ctx.logger, tls ? server.certificate() : undefined),
      keyPath: (folder) => folder,
      source: async (k) => createFtpSource(ftpSourceConfig.parse({ ...keys, ...k }), ctx),
      sink: async (k) => createFtpSink(ftpSinkConfig.parse({ ...keys, ...k }), ctx),
      async cutConnections() {
        await server.kill();
        await server.run();
      },
      cleanup: () => server.stop(),
    };
  });
}
