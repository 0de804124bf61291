// The sftp and scp sinks: the shared file sink (connectors/filesystem/file-sink.ts) on an SSH adapter. As with
// the sources, a relative `directory` is relative to the login folder, so the shared sink is built on the first
// write, once the adapter can say where home is. Uploads are verified by size and, where the server can compute
// it, sha256 (`verifyChecksum`).
import { posix } from 'node:path';
import type { SluiceEvent } from '../../core/event.js';
import { type PluginContext, type SinkInstance, type WriteResult, z } from '../../core/plugin.js';
import { createSharedFileSink } from '../filesystem/file-sink.js';
import { checkFileSink, fileSinkShape } from '../filesystem/sink-config.js';
import { credentialProblem, sshConnectionFields } from './connection.js';
import { openRemoteFileSystem } from './remote-source.js';

export const remoteSinkConfig = z
  .object({
    ...sshConnectionFields,
    ...fileSinkShape('absolute on the server, or relative to the login folder'),
    verifyChecksum: z
      .boolean()
      .default(true)
      .describe(
        'After each upload, compare the sha256 the server computes (sha256sum over an exec channel) with the bytes ' +
          'sent; a mismatch is retried. The size is always compared. Servers without a shell are checked by size.',
      ),
  })
  .superRefine((c, ctx) => {
    checkFileSink(c, ctx);
    const problem = credentialProblem(c);
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  });

export type RemoteSinkConfig = z.output<typeof remoteSinkConfig>;

class RemoteSink implements SinkInstance {
  private inner: SinkInstance | undefined;
  private closeAdapter: (() => Promise<void>) | undefined;

  constructor(
    private readonly protocol: 'sftp' | 'scp',
    private readonly config: RemoteSinkConfig,
    private readonly ctx: PluginContext,
  ) {}

  async write(batch: readonly SluiceEvent[]): Promise<WriteResult | void> {
    this.inner ??= await this.build();
    return this.inner.write(batch);
  }

  private async build(): Promise<SinkInstance> {
    const where = `${this.protocol} sink ${this.ctx.component} of pipeline "${this.ctx.pipeline}"`;
    const adapter = openRemoteFileSystem(this.protocol, this.config, this.ctx, where, {
      verifyChecksum: this.config.verifyChecksum,
    });
    this.closeAdapter = () => adapter.close();
    const home = await adapter.home();
    return createSharedFileSink({
      config: { ...this.config, directory: posix.resolve(home, this.config.directory) },
      connect: async () => adapter,
      where,
      ctx: this.ctx,
    });
  }

  async close(): Promise<void> {
    if (this.inner) await this.inner.close?.();
    else await this.closeAdapter?.();
  }
}

export function createRemoteSink(protocol: 'sftp' | 'scp', config: RemoteSinkConfig, ctx: PluginContext): SinkInstance {
  return new RemoteSink(protocol, config, ctx);
}
