// The keys every file sink on the file-system contract shares (FTP/FTPS, SFTP, SCP): a protocol's sink spreads
// these into its schema next to its connection keys.
import { z } from '../../core/plugin.js';
import { outputFormat, timestampFormat } from '../line-format/write-line.js';
import { unknownPlaceholders } from './name-template.js';
import { rollSchema } from './roll-policy.js';

export const SINK_PLACEHOLDERS = ['first', 'last', 'hash', 'ext', 'pipeline', 'partition'] as const;

export function fileSinkShape(paths: string) {
  return {
    directory: z
      .string()
      .min(1)
      .describe(
        `Folder to write the files into (created if missing); ${paths}. May hold {yyyy}, {mm}, {dd}, ` +
          '{hh}, {date} (UTC, at write time), e.g. "out/{date}".',
      ),
    fileName: z
      .string()
      .default('events_{first}_{last}.{ext}')
      .describe(
        'File name for each batch (or rolled file): {first} and {last} are the ids of its first and last events, ' +
          '{hash} a hash of the content, {partition} the topic partition, {pipeline} the pipeline name, {ext} ' +
          'ndjson or txt by format (plus .gz when compressed), and the date placeholders (at the time the file is ' +
          'finished). With {first} or {hash}, a redelivered batch gets its own name again.',
      ),
    format: outputFormat,
    ts: timestampFormat,
    compression: z
      .enum(['none', 'gzip'])
      .default('none')
      .describe('Compress each file (gzip adds .gz to {ext}; a rolled file is one gzip member per batch).'),
    ifExists: z
      .enum(['overwrite', 'skip', 'fail', 'append'])
      .default('overwrite')
      .describe(
        'When a file of that name is there already: overwrite it (a redelivered batch replaces its own file), ' +
          'skip the batch, fail (stop the pipeline), or append to it (written in place, so a reader may see ' +
          'part of a batch; the server must support appending).',
      ),
    roll: rollSchema,
  };
}

interface SharedSinkKeys {
  directory: string;
  fileName: string;
  ifExists: string;
  compression: string;
}

export function checkFileSink(c: SharedSinkKeys, ctx: z.RefinementCtx): void {
  const n = c.fileName;
  if (n.includes('/') || n.includes('\\') || n.startsWith('.')) {
    ctx.addIssue({
      code: 'custom',
      path: ['fileName'],
      message: `fileName "${n}" must be a plain file name, not a path or a hidden file`,
    });
  }
  if (c.ifExists === 'overwrite' && !['{first}', '{last}', '{hash}'].some((p) => n.includes(p))) {
    ctx.addIssue({
      code: 'custom',
      path: ['fileName'],
      message: `fileName "${n}" has none of {first}, {last}, {hash}: every batch would overwrite the same file`,
    });
  }
  if (c.ifExists === 'append' && c.compression !== 'none') {
    ctx.addIssue({ code: 'custom', path: ['ifExists'], message: 'ifExists: append cannot be used with compression' });
  }
  for (const [key, template] of [
    ['fileName', n],
    ['directory', c.directory],
  ] as const) {
    const unknown = unknownPlaceholders(template, SINK_PLACEHOLDERS);
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `${key} has unknown placeholders {${unknown.join('}, {')}}`,
      });
    }
  }
}
