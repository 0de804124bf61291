// The keys every file source shares (local files, FTP/FTPS, SFTP, SCP): a protocol's source spreads these into
// its own schema next to its connection keys, so moving a pipeline from a folder to a server changes only the
// connection. `paths` says what relative paths are relative to, for the generated reference.
import picomatch from 'picomatch';
import { MAX_TIMER_MS, z } from '../../core/plugin.js';
import { inputFormat, onInvalidLine } from '../line-format/read-line.js';
import { unknownPlaceholders } from './name-template.js';

export const fileInputFormat = z
  .enum([...inputFormat.unwrap().options, 'csv', 'file'])
  .default('ndjson')
  .describe(
    'ndjson: each line is JSON read as an event: a bare value ("hello", 42), {"key","value"} or ' +
      '{"key","value","timestamp"}; lines: each line is one event whose value is the text of the line; ' +
      'csv: each row after the header row is one event whose value is {column: text}; file: each file is one ' +
      'event whose value is its bytes (up to maxFileBytes).',
  );

export function fileSourceShape(paths: string) {
  return {
    directory: z.string().min(1).describe(`Folder to read files from (subfolders only with recursive); ${paths}.`),
    pattern: z
      .string()
      .default('*')
      .describe(
        'Glob for the files to read, matched against the path below `directory`: * (any characters but /), ' +
          '** (any folders, with recursive), ? (one character), [a-z] (a class), {a,b} (either), e.g. ' +
          '"*.{ndjson,jsonl}". Wildcards do not match a leading dot, so hidden and temporary files are left alone.',
      ),
    exclude: z
      .array(z.string().min(1))
      .default([])
      .describe('Globs of files to leave alone even when `pattern` matches, e.g. ["**/*.part"].'),
    recursive: z.boolean().default(false).describe('Read the subfolders of `directory` as well.'),
    maxDepth: z
      .number()
      .int()
      .positive()
      .default(10)
      .describe('With recursive: how many folder levels below `directory` to read (1 = its direct subfolders).'),
    format: fileInputFormat,
    csvDelimiter: z.string().min(1).default(',').describe('With format: csv, the text between fields.'),
    onInvalid: onInvalidLine,
    stableMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .nonnegative()
      .default(2000)
      .describe(
        'A file is read once it has not changed for this long, in milliseconds (by its modification time, or ' +
          'by the same size and time seen across polls), so that files still being written are not read.',
      ),
    doneMarker: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Read a file only once a marker file named after it exists, e.g. ".done" reads "a.csv" once ' +
          '"a.csv.done" is there (then stableMs is not used). The marker gets the same after-read action.',
      ),
    afterRead: z
      .enum(['keep', 'delete', 'move'])
      .default('keep')
      .describe(
        'What to do with a file once all its events are stored: keep it (lines appended later are read ' +
          'then), delete it, or move it to `moveTo`.',
      ),
    moveTo: z
      .string()
      .min(1)
      .optional()
      .describe(
        `Folder to move finished files to, with afterRead: move; ${paths}. May hold {yyyy}, {mm}, {dd}, {hh}, ` +
          '{date} (UTC), e.g. "done/{date}".',
      ),
    failedTo: z
      .string()
      .min(1)
      .optional()
      .describe(
        `Folder to move a file to when the server refuses to read it (a permission error, a 5xx reply), ` +
          `instead of retrying it forever; ${paths}. Same placeholders as moveTo. Unset: the poll fails and is retried.`,
      ),
    batchSize: z.number().int().positive().default(1000).describe('Most events read per poll (stored together).'),
    maxFileBytes: z
      .number()
      .int()
      .positive()
      .default(16 * 1024 * 1024)
      .describe('With format: file, the largest file read as one event; a bigger one goes to failedTo.'),
    intervalMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .positive()
      .default(1000)
      .describe('Time between looks at the folder, in milliseconds.'),
  };
}

interface SharedSourceKeys {
  pattern: string;
  exclude: string[];
  recursive: boolean;
  afterRead: 'keep' | 'delete' | 'move';
  moveTo?: string;
  failedTo?: string;
}

/** Checks across keys, for the protocol schema's superRefine. */
export function checkFileSource(c: SharedSourceKeys, ctx: z.RefinementCtx): void {
  if (c.afterRead === 'move' && c.moveTo === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['moveTo'],
      message: 'afterRead: move needs moveTo, the folder to move files to',
    });
  }
  if (c.afterRead !== 'move' && c.moveTo !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['moveTo'], message: 'moveTo is used only with afterRead: move' });
  }
  if (c.pattern === '') ctx.addIssue({ code: 'custom', path: ['pattern'], message: 'the pattern is empty' });
  if (!c.recursive && (c.pattern.includes('/') || c.pattern.includes('\\'))) {
    ctx.addIssue({
      code: 'custom',
      path: ['pattern'],
      message: `pattern "${c.pattern}": a pattern matches file names only; put the folder in \`directory\`, or set recursive: true`,
    });
  }
  for (const glob of [c.pattern, ...c.exclude]) {
    try {
      picomatch.makeRe(glob, { strictBrackets: true });
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `pattern "${glob}": ${(err as Error).message}` });
    }
  }
  for (const key of ['moveTo', 'failedTo'] as const) {
    const unknown = unknownPlaceholders(c[key] ?? '', []);
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `${key} has unknown placeholders {${unknown.join('}, {')}}; use {yyyy}, {mm}, {dd}, {hh} or {date}`,
      });
    }
  }
}
