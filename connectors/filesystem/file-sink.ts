// The file sink shared by every file protocol (local files, FTP/FTPS, SFTP, SCP). Without `roll`, each batch becomes
// one file, written under a hidden temporary name in the target folder and then renamed, so a reader never sees
// half a file, and a batch delivered again after a crash gets the same name (with {first}/{hash}) instead of a copy.
// With `roll`, batches are collected per partition into larger files (rolling-writer.ts).
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { SluiceEvent } from '../../core/event.js';
import type { PluginContext, RecordRejection, SinkInstance } from '../../core/plugin.js';
import { writeBatch } from '../line-format/write-line.js';
import type { FileSystem } from './file-system.js';
import { joinPath } from './fs-path.js';
import { fillTemplate } from './name-template.js';
import { partitionOf } from './open-file-name.js';
import { RollingWriter } from './rolling-writer.js';
import {
  contentHash,
  fileBytes,
  finalFileName,
  folderOf,
  placement,
  type SharedFileSinkConfig,
  sinkFailure,
} from './sink-target.js';
import { WrittenRangeStore } from './written-ranges.js';

export type { SharedFileSinkConfig } from './sink-target.js';

export interface FileSinkParts {
  /** The config, with `directory` an absolute POSIX path of `fs`. */
  config: SharedFileSinkConfig;
  connect: () => Promise<FileSystem>;
  where: string;
  ctx: PluginContext;
  /** The clock of the roll policy, for tests. */
  clock?: () => number;
}

class SharedFileSink implements SinkInstance {
  private fs: Promise<FileSystem> | undefined;
  private readonly madeFolders = new Set<string>();
  private readonly rolling: RollingWriter | undefined;
  // Appends to one named file go one at a time, so that batches in flight together never interleave their lines.
  private appending: Promise<unknown> = Promise.resolve();

  constructor(private readonly parts: FileSinkParts) {
    const { config, ctx, where } = parts;
    if (config.roll !== undefined) {
      this.rolling = new RollingWriter({
        config: { ...config, roll: config.roll },
        fs: () => this.connect(),
        where,
        pipeline: ctx.pipeline,
        logger: ctx.logger,
        ranges: new WrittenRangeStore(ctx.state),
        clock: parts.clock,
      });
    }
  }

  async write(batch: readonly SluiceEvent[]) {
    const folder = await this.folder();
    const rejected = this.rolling
      ? await this.writeRolling(this.rolling, folder, batch)
      : await this.writeOne(folder, batch);
    return rejected.length > 0 ? { rejected } : undefined;
  }

  async close(): Promise<void> {
    try {
      await this.rolling?.close();
    } finally {
      const fs = this.fs;
      this.fs = undefined;
      await (await fs?.catch(() => undefined))?.close();
    }
  }

  private connect(): Promise<FileSystem> {
    this.fs ??= this.parts.connect().catch((err) => {
      this.fs = undefined;
      throw err;
    });
    return this.fs;
  }

  private async folder(): Promise<string> {
    const folder = fillTemplate(this.parts.config.directory, {}, new Date());
    if (!this.madeFolders.has(folder)) {
      const fs = await this.connect();
      await fs.mkdir(folder).catch((err) => {
        throw sinkFailure(err, this.parts.where);
      });
      this.madeFolders.add(folder);
    }
    return folder;
  }

  private async writeRolling(
    rolling: RollingWriter,
    folder: string,
    batch: readonly SluiceEvent[],
  ): Promise<RecordRejection[]> {
    const byPartition = new Map<string, number[]>();
    for (const [i, e] of batch.entries()) {
      const p = partitionOf(e.id);
      byPartition.set(p, [...(byPartition.get(p) ?? []), i]);
    }
    const rejected: RecordRejection[] = [];
    for (const [partition, indices] of byPartition) {
      const events = indices.map((i) => batch[i] as SluiceEvent);
      for (const r of await rolling.write(folder, partition, events)) {
        rejected.push({ ...r, index: indices[r.index] as number });
      }
    }
    return rejected;
  }

  private async writeOne(folder: string, batch: readonly SluiceEvent[]): Promise<RecordRejection[]> {
    const { config, ctx, where } = this.parts;
    const { text, rejected } = writeBatch(config, batch);
    if (text === '') return rejected;
    const data = fileBytes(config, text);
    const facts = {
      first: batch[0]?.id ?? '',
      last: batch[batch.length - 1]?.id ?? '',
      sha256: contentHash(data),
      partition: partitionOf(batch[0]?.id),
    };
    const path = joinPath(folder, finalFileName(config, ctx.pipeline, facts, new Date()));
    const fs = await this.connect();
    try {
      if (config.ifExists === 'append') {
        const appended = this.appending.then(() => this.place(fs, path, data));
        this.appending = appended.catch(() => undefined);
        await appended;
      } else {
        await this.place(fs, path, data);
      }
    } catch (err) {
      throw sinkFailure(err, where);
    }
    return rejected;
  }

  private async place(fs: FileSystem, path: string, data: Buffer): Promise<void> {
    const action = await placement(fs, path, this.parts.config, this.parts.where);
    if (action === 'skip') return;
    if (action === 'append') {
      await fs.write(path, Readable.from([data]), { append: true });
      return;
    }
    const temporary = joinPath(folderOf(path), `.${randomUUID()}.tmp`);
    try {
      await fs.write(temporary, Readable.from([data]));
      await fs.rename(temporary, path, { ifExists: 'replace' });
    } catch (err) {
      await fs.delete(temporary).catch(() => undefined);
      throw err;
    }
  }
}

export function createSharedFileSink(parts: FileSinkParts): SinkInstance {
  return new SharedFileSink(parts);
}
