// The `file` source: the shared file source (connectors/filesystem/file-source.ts) on the local disk. Paths in
// its config are relative to the pipeline file.
import { resolve } from 'node:path';
import { defineSource, type PluginContext, type PollSource, z } from '../../core/plugin.js';
import { createSharedFileSource } from '../filesystem/file-source.js';
import { checkFileSource, fileSourceShape } from '../filesystem/source-config.js';
import { LocalFileSystem } from './local-file-system.js';

export { FILE_HEADER } from '../filesystem/file-source.js';

export const fileSourceConfig = z.object(fileSourceShape('relative to the pipeline file')).superRefine(checkFileSource);

export type FileSourceConfig = z.output<typeof fileSourceConfig>;

/** The source with an injectable clock, for tests of stability. */
export function createFileSource(
  config: FileSourceConfig,
  ctx: PluginContext,
  clock: () => number = Date.now,
): PollSource {
  const local = (path: string | undefined) => (path === undefined ? undefined : resolve(ctx.baseDir, path));
  return createSharedFileSource({
    config: {
      ...config,
      directory: local(config.directory) as string,
      moveTo: local(config.moveTo),
      failedTo: local(config.failedTo),
    },
    // Rooted at the file system's root: moveTo and failedTo may lie outside `directory`.
    connect: async () => new LocalFileSystem('/'),
    where: `file source ${ctx.component} of pipeline "${ctx.pipeline}"`,
    logger: ctx.logger,
    clock,
  });
}

export default defineSource({
  name: 'file',
  summary: 'Read the files of a folder that match a pattern, as NDJSON, lines, CSV or whole files, once fully written.',
  config: fileSourceConfig,
  create: (config, ctx) => createFileSource(config, ctx),
});
