// Where a file of the file sink ends up: its final name from the fileName template, and what `ifExists` says to do
// when that name is taken. Shared by the one-file-per-batch path and the rolling writer.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { FatalError, type SluiceError, toSluiceError } from '../../core/errors.js';
import type { z } from '../../core/plugin.js';
import type { FileSystem } from './file-system.js';
import { fillTemplate } from './name-template.js';
import type { fileSinkShape } from './sink-config.js';

export type SharedFileSinkConfig = z.output<z.ZodObject<ReturnType<typeof fileSinkShape>>>;

const EXTENSIONS = { ndjson: 'ndjson', value: 'ndjson', lines: 'txt' } as const;

/** What a file's name is made of; `first`/`last` are '' for events without ids, which are named by content. */
export interface FileFacts {
  first: string;
  last: string;
  /** sha256 of the file's bytes, hex. */
  sha256: string;
  partition: string;
}

/** A formatted batch as stored: compressed as a gzip member of its own when asked, so appended batches stay one valid gzip file. */
export function fileBytes(config: SharedFileSinkConfig, text: string): Buffer {
  return config.compression === 'gzip' ? gzipSync(text, { level: 1 }) : Buffer.from(text);
}

export function contentHash(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function finalFileName(config: SharedFileSinkConfig, pipeline: string, facts: FileFacts, at: Date): string {
  const hash = facts.sha256.slice(0, 16);
  const ext = `${EXTENSIONS[config.format]}${config.compression === 'gzip' ? '.gz' : ''}`;
  return fillTemplate(
    config.fileName,
    { first: facts.first || hash, last: facts.last || hash, hash, ext, pipeline, partition: facts.partition },
    at,
  );
}

/**
 * What to do with a finished file whose final name is `path`: `write` it there (replacing whatever is there),
 * `skip` it, or `append` it to the file there. Throws for `ifExists: fail` when the name is taken.
 */
export async function placement(
  fs: FileSystem,
  path: string,
  config: SharedFileSinkConfig,
  where: string,
): Promise<'write' | 'skip' | 'append'> {
  if (config.ifExists === 'overwrite' || (await fs.stat(path)) === undefined) return 'write';
  if (config.ifExists === 'skip') return 'skip';
  if (config.ifExists === 'append') return 'append';
  throw new FatalError(`${where}: "${path}" exists already (ifExists: fail); move it away or change fileName`, {
    code: 'E_FILE_EXISTS',
  });
}

/**
 * A file-system failure as the sink reports it. A refusal about one file (permission, a 5xx, a file where a folder
 * should be) is not the records' fault and would refuse every batch alike: it stops the pipeline instead of
 * dead-lettering everything.
 */
export function sinkFailure(err: unknown, where: string): SluiceError {
  const e = toSluiceError(err);
  if (e.kind !== 'record') return e;
  return new FatalError(`${where}: ${e.message}`, { code: e.code, cause: err });
}

export function folderOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/')) || '/';
}
