// The file sink shared by the remote file protocols: each batch becomes one file, named by a template, written
// under a hidden temporary name in the target folder and then renamed, so a reader never sees half a file,
// and a batch delivered again after a crash gets the same name (with {first}/{hash}) instead of a copy.
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { FatalError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import type { SinkInstance, z } from '../../core/plugin.js';
import { writeBatch } from '../line-format/write-line.js';
import type { FileSystem } from './file-system.js';
import { joinPath } from './fs-path.js';
import { fillTemplate } from './name-template.js';
import type { fileSinkShape } from './sink-config.js';

export type SharedFileSinkConfig = z.output<z.ZodObject<ReturnType<typeof fileSinkShape>>>;

export interface FileSinkParts {
  /** The config, with `directory` an absolute POSIX path of `fs`. */
  config: SharedFileSinkConfig;
  connect: () => Promise<FileSystem>;
  where: string;
  pipeline: string;
}

const EXTENSIONS = { ndjson: 'ndjson', value: 'ndjson', lines: 'txt' } as const;

export function createSharedFileSink(parts: FileSinkParts): SinkInstance {
  const { config, where } = parts;
  let fs: FileSystem | undefined;
  const madeFolders = new Set<string>();

  return {
    async write(batch) {
      const { text, rejected } = writeBatch(config, batch);
      const result = rejected.length > 0 ? { rejected } : undefined;
      if (text === '') return result;
      fs ??= await parts.connect();
      const now = new Date();
      const folder = fillTemplate(config.directory, {}, now);
      if (!madeFolders.has(folder)) {
        await fs.mkdir(folder);
        madeFolders.add(folder);
      }
      const data = config.compression === 'gzip' ? gzipSync(text, { level: 1 }) : Buffer.from(text);
      const path = joinPath(folder, batchFileName(config, parts.pipeline, batch, data, now));
      await writeFile(fs, path, data);
      return result;
    },
    async close() {
      await fs?.close();
      fs = undefined;
    },
  };

  async function writeFile(system: FileSystem, path: string, data: Buffer): Promise<void> {
    if (config.ifExists !== 'overwrite' && (await system.stat(path)) !== undefined) {
      if (config.ifExists === 'skip') return;
      if (config.ifExists === 'fail') {
        throw new FatalError(`${where}: "${path}" exists already (ifExists: fail); move it away or change fileName`, {
          code: 'E_FILE_EXISTS',
        });
      }
      await system.write(path, Readable.from([data]), { append: true });
      return;
    }
    const temporary = joinPath(folder(path), `.${randomUUID()}.tmp`);
    try {
      await system.write(temporary, Readable.from([data]));
      await system.rename(temporary, path, { ifExists: 'replace' });
    } catch (err) {
      await system.delete(temporary).catch(() => undefined);
      throw err;
    }
  }
}

function folder(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}

/** The batch's file name: ids made safe for file names; a batch without ids is named by its content. */
export function batchFileName(
  config: SharedFileSinkConfig,
  pipeline: string,
  batch: readonly SluiceEvent[],
  data: Buffer,
  at: Date,
): string {
  const hash = createHash('sha256').update(data).digest('hex').slice(0, 16);
  const ext = `${EXTENSIONS[config.format]}${config.compression === 'gzip' ? '.gz' : ''}`;
  const first = batch[0]?.id ?? hash;
  const last = batch[batch.length - 1]?.id ?? hash;
  return fillTemplate(config.fileName, { first, last, hash, ext, pipeline }, at);
}
