// The `file` sink. With `directory`, each batch becomes one file, named from the ids of its first and last
// events and written under a temporary name, then renamed: a reader never sees half a file, and a batch
// delivered again after a crash overwrites its own file instead of adding a copy. With `file`, batches are
// appended to one file, which is simple but not idempotent: a redelivered batch is appended again.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { SluiceEvent } from '../../core/event.js';
import { defineSink, type PluginContext, type SinkInstance, z } from '../../core/plugin.js';
import { type OutputFormat, outputFormat, timestampFormat, writeBatch } from '../line-format/write-line.js';
import { fileSystemError } from './fs-error.js';
import { syncFolder } from './local-file-system.js';

const PLACEHOLDERS = ['{first}', '{last}', '{hash}'];

export const fileSinkConfig = z
  .object({
    directory: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Folder to write one file per batch into (created if missing); relative to the pipeline file. ' +
          'Set this or `file`.',
      ),
    fileName: z
      .string()
      .default('events_{first}_{last}.{ext}')
      .superRefine((n, ctx) => {
        if (n.includes('/') || n.includes('\\') || n.startsWith('.')) {
          ctx.addIssue({
            code: 'custom',
            message: `fileName "${n}" must be a plain file name, not a path or a hidden file`,
          });
        }
        if (!PLACEHOLDERS.some((p) => n.includes(p))) {
          ctx.addIssue({
            code: 'custom',
            message: `fileName "${n}" has none of {first}, {last}, {hash}: every batch would overwrite the same file`,
          });
        }
      })
      .describe(
        'File name for each batch (with `directory`): {first} and {last} are the ids of the first and last ' +
          'events, {hash} a hash of the content, {ext} ndjson or txt by format. The same batch always gets ' +
          'the same name, so a redelivered batch overwrites its file.',
      ),
    file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'One file to append every batch to (its folder is created if missing); relative to the pipeline file. ' +
          'Not idempotent: a batch delivered again is appended again. Set this or `directory`.',
      ),
    format: outputFormat,
    ts: timestampFormat,
  })
  .superRefine((c, ctx) => {
    if ((c.directory === undefined) === (c.file === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['directory'],
        message: 'set either directory (one file per batch) or file (append to one file), not both or neither',
      });
    }
  });

export type FileSinkConfig = z.output<typeof fileSinkConfig>;

const EXTENSIONS: Record<OutputFormat, string> = { ndjson: 'ndjson', value: 'ndjson', lines: 'txt' };

export async function createFileSink(config: FileSinkConfig, ctx: PluginContext): Promise<SinkInstance> {
  const where = `file sink ${ctx.component} of pipeline "${ctx.pipeline}"`;
  const target = resolve(ctx.baseDir, (config.directory ?? config.file) as string);
  const folder = config.directory === undefined ? dirname(target) : target;
  try {
    await mkdir(folder, { recursive: true });
  } catch (err) {
    throw fileSystemError(err, `${where}: cannot create the folder "${folder}"`);
  }

  // Appends go one at a time, so that batches in flight together never interleave their lines.
  let appending: Promise<void> = Promise.resolve();

  return {
    async write(batch) {
      const { text, rejected } = writeBatch(config, batch);
      const result = rejected.length > 0 ? { rejected } : undefined;
      if (text === '') return result;
      if (config.directory === undefined) {
        const append = appending.then(() => appendDurably(target, text, where));
        appending = append.catch(() => undefined);
        await append;
      } else {
        const name = batchFileName(config.fileName, EXTENSIONS[config.format], batch, text);
        await replaceDurably(join(folder, name), text, where);
      }
      return result;
    },
  };
}

/** The batch's file name: ids made safe for file names; a batch without ids is named by its content. */
export function batchFileName(template: string, ext: string, batch: readonly SluiceEvent[], text: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  const first = batch[0]?.id;
  const last = batch[batch.length - 1]?.id;
  const safe = (id: string | undefined) => (id === undefined ? hash : id.replace(/[^A-Za-z0-9._-]/g, '_'));
  return template
    .replaceAll('{first}', safe(first))
    .replaceAll('{last}', safe(last))
    .replaceAll('{hash}', hash)
    .replaceAll('{ext}', ext);
}

// Written and flushed to disk under a hidden temporary name in the same folder, then renamed over the
// final name in one step: readers see the whole file or none of it.
async function replaceDurably(path: string, text: string, where: string): Promise<void> {
  const temporary = join(dirname(path), `.${randomUUID()}.tmp`);
  try {
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    await syncFolder(dirname(path));
  } catch (err) {
    await unlink(temporary).catch(() => undefined);
    throw fileSystemError(err, `${where}: cannot write "${path}"`);
  }
}

async function appendDurably(path: string, text: string, where: string): Promise<void> {
  try {
    const handle = await open(path, 'a');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw fileSystemError(err, `${where}: cannot append to "${path}"`);
  }
}

export default defineSink({
  name: 'file',
  summary: 'Write events to files: one file per batch (idempotent, written then renamed), or append to one file.',
  config: fileSinkConfig,
  create: (config, ctx) => createFileSink(config, ctx),
});
