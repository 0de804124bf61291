// The sftp and scp sources: the shared file source (connectors/filesystem/file-source.ts) on an SSH adapter.
// Paths in the config are absolute on the server or relative to the login folder, which is known only once
// connected: the shared source is therefore built on the first poll, when the adapter can say where home is.
import { posix } from 'node:path';
import { type PluginContext, type PollResult, type PollSource, z } from '../../core/plugin.js';
import { createSharedFileSource } from '../filesystem/file-source.js';
import { checkFileSource, fileSourceShape } from '../filesystem/source-config.js';
import { credentialProblem, resolveSshSettings, type SshConnectionConfig, sshConnectionFields } from './connection.js';
import { ScpFileSystem } from './scp-file-system.js';
import { SessionPool } from './session-pool.js';
import { SftpFileSystem } from './sftp-file-system.js';

export const remoteSourceConfig = z
  .object({
    ...sshConnectionFields,
    ...fileSourceShape('absolute on the server, or relative to the login folder'),
  })
  .superRefine((c, ctx) => {
    checkFileSource(c, ctx);
    const problem = credentialProblem(c);
    if (problem) ctx.addIssue({ code: 'custom', path: ['password'], message: problem });
  });

export type RemoteSourceConfig = z.output<typeof remoteSourceConfig>;

type Adapter = SftpFileSystem | ScpFileSystem;

class RemoteSource implements PollSource {
  readonly intervalMs: number;
  private inner: PollSource | undefined;
  private adapter: Adapter | undefined;

  constructor(
    private readonly config: RemoteSourceConfig,
    private readonly open: () => Adapter,
    private readonly ctx: PluginContext,
    private readonly where: string,
  ) {
    this.intervalMs = config.intervalMs;
  }

  async poll(checkpoint: unknown): Promise<PollResult> {
    this.inner ??= await this.build();
    return this.inner.poll(checkpoint);
  }

  private async build(): Promise<PollSource> {
    const adapter = this.open();
    this.adapter = adapter;
    const home = await adapter.home();
    const onServer = (p: string | undefined) => (p === undefined ? undefined : posix.resolve(home, p));
    return createSharedFileSource({
      config: {
        ...this.config,
        directory: onServer(this.config.directory) as string,
        moveTo: onServer(this.config.moveTo),
        failedTo: onServer(this.config.failedTo),
      },
      connect: async () => adapter,
      where: this.where,
      logger: this.ctx.logger,
    });
  }

  async close(): Promise<void> {
    if (this.inner) await this.inner.close?.();
    else await this.adapter?.close();
  }
}

/** A source of `protocol` ('sftp' or 'scp') rooted at the server's `/`. */
export function createRemoteSource(
  protocol: 'sftp' | 'scp',
  config: RemoteSourceConfig,
  ctx: PluginContext,
): PollSource {
  const where = `${protocol} source ${ctx.component} of pipeline "${ctx.pipeline}"`;
  const open = () => openRemoteFileSystem(protocol, config, ctx, where);
  return new RemoteSource(config, open, ctx, where);
}

/** Opens the adapter for `protocol` on the connection fields of a config; contract paths map under `root`. */
export function openRemoteFileSystem(
  protocol: 'sftp' | 'scp',
  config: SshConnectionConfig,
  ctx: Pick<PluginContext, 'baseDir' | 'logger'>,
  where: string,
  options: { verifyChecksum?: boolean; root?: string } = {},
): Adapter {
  const pool = new SessionPool(resolveSshSettings(config, ctx.baseDir, where), ctx.logger);
  const adapterOptions = {
    root: options.root ?? '/',
    verifyChecksum: options.verifyChecksum ?? true,
    logger: ctx.logger,
  };
  return protocol === 'sftp' ? new SftpFileSystem(pool, adapterOptions) : new ScpFileSystem(pool, adapterOptions);
}
