// The `file` sink: the shared file sink (connectors/filesystem/file-sink.ts) on the local disk. With `directory`,
// each batch (or, with `roll`, each rolled file) becomes one file written under a temporary name and renamed;
// with `file`, batches are appended to one file, which is simple but not idempotent: a redelivered batch is
// appended again. Paths in its config are relative to the pipeline file.
import { mkdir } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { defineSink, type PluginContext, type SinkInstance, z } from '../../core/plugin.js';
import { createSharedFileSink } from '../filesystem/file-sink.js';
import { checkFileSink, fileSinkShape } from '../filesystem/sink-config.js';
import { fileSystemError } from './fs-error.js';
import { LocalFileSystem } from './local-file-system.js';

const shared = fileSinkShape('relative to the pipeline file');

export const fileSinkConfig = z
  .object({
    ...shared,
    directory: shared.directory.optional().describe(`${shared.directory.description} Set this or \`file\`.`),
    file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'One file to append every batch to (its folder is created if missing); relative to the pipeline file. ' +
          'Not idempotent: a batch delivered again is appended again. Set this or `directory`.',
      ),
  })
  .superRefine((c, ctx) => {
    if ((c.directory === undefined) === (c.file === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['directory'],
        message: 'set either directory (one file per batch) or file (append to one file), not both or neither',
      });
      return;
    }
    if (c.directory !== undefined) {
      checkFileSink({ ...c, directory: c.directory }, ctx);
      return;
    }
    for (const key of ['roll', 'compression'] as const) {
      if (key === 'roll' ? c.roll !== undefined : c.compression !== 'none') {
        ctx.addIssue({ code: 'custom', path: [key], message: `${key} works with directory, not with file` });
      }
    }
  });

export type FileSinkConfig = z.output<typeof fileSinkConfig>;

export async function createFileSink(
  config: FileSinkConfig,
  ctx: PluginContext,
  clock?: () => number,
): Promise<SinkInstance> {
  const where = `file sink ${ctx.component} of pipeline "${ctx.pipeline}"`;
  const target = resolve(ctx.baseDir, (config.directory ?? config.file) as string);
  const folder = config.directory === undefined ? dirname(target) : target;
  // Created up front (the first folder, when it has date placeholders), so a wrong path stops the pipeline at start.
  const segments = folder.split('/');
  const templated = segments.findIndex((s) => s.includes('{'));
  const first = segments.slice(0, templated < 0 ? undefined : templated).join('/') || '/';
  try {
    await mkdir(first, { recursive: true });
  } catch (err) {
    throw fileSystemError(err, `${where}: cannot create the folder "${first}"`);
  }
  const shape =
    config.file === undefined
      ? { ...config, directory: folder }
      : { ...config, directory: folder, fileName: basename(target), ifExists: 'append' as const };
  return createSharedFileSink({
    config: shape,
    // Rooted at the file system's root: the folder is an absolute local path.
    connect: async () => new LocalFileSystem('/'),
    where,
    ctx,
    clock,
  });
}

export default defineSink({
  name: 'file',
  summary:
    'Write events to files: one file per batch or rolled by size and age (idempotent, written then renamed), or ' +
    'append to one file.',
  config: fileSinkConfig,
  create: (config, ctx) => createFileSink(config, ctx),
});
