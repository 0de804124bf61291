// `sluice dlq list|show|redrive|discard`: the dead-letter workflow against a fleet's Redis, or (list, show) the
// file an embedded run wrote its dead letters to.
import { readFile } from 'node:fs/promises';
import { type DeadLetterFilterText, parseDeadLetterFilter, parseSelection } from '../admin/dead-letter-filter.js';
import { type DeadLetter, DeadLetters, jsonOf, matches, toDeadLetter } from '../admin/dead-letters.js';
import { ConfigError, SluiceError } from '../errors.js';
import { parseEvent } from '../event.js';
import { openAdminStorage } from './admin-storage.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

interface Connection {
  redis?: string;
  prefix: string;
}

export interface DlqListOptions extends Connection, Omit<DeadLetterFilterText, 'ids' | 'state'> {
  id?: string[];
  redriven?: boolean;
  discarded?: boolean;
  all?: boolean;
  limit?: number;
  json?: boolean;
  file?: string;
}

export interface DlqChangeOptions extends Connection, Omit<DeadLetterFilterText, 'ids' | 'state'> {
  allMatching?: boolean;
  dryRun?: boolean;
  edit?: string;
  reason?: string;
  json?: boolean;
}

const out = (s: string) => process.stdout.write(`${s}\n`);

export async function dlqListCommand(o: DlqListOptions): Promise<number> {
  try {
    const state = o.all ? 'all' : o.discarded ? 'discarded' : o.redriven ? 'redriven' : undefined;
    const filter = parseDeadLetterFilter({ ...o, ids: o.id, state });
    const limit = o.limit ?? Number.POSITIVE_INFINITY;
    const letters = o.file
      ? (await fromFile(o.file)).filter((l) => matches(l, filter) && (!filter.ids || filter.ids.includes(l.id)))
      : await withDeadLetters(o, (dl) => dl.list(filter, limit));
    const shown = letters.slice(0, limit);
    if (o.json) out(JSON.stringify(shown.map(jsonOf), null, 2));
    else if (shown.length === 0) out('no dead letters match');
    else for (const l of shown) out(lineOf(l));
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

export async function dlqShowCommand(id: string, o: Connection & { topic?: string; file?: string }): Promise<number> {
  try {
    const letter = o.file
      ? (await fromFile(o.file)).find((l) => l.id === id)
      : await withDeadLetters(o, (dl) => dl.show(id, o.topic));
    if (!letter) {
      throw new SluiceError(
        'fatal',
        `no dead letter ${id}${o.topic ? ` in ${o.topic}` : ''}: see \`sluice dlq list\``,
        {
          code: 'E_DLQ_NOT_FOUND',
        },
      );
    }
    out(JSON.stringify(jsonOf(letter), null, 2));
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

export async function dlqRedriveCommand(ids: string[], o: DlqChangeOptions): Promise<number> {
  try {
    const filter = selection(ids, o, 'redrive');
    const result = await withDeadLetters(o, (dl) => dl.redrive(filter, { edit: o.edit, dryRun: o.dryRun }));
    if (o.json) out(JSON.stringify(result, null, 2));
    else {
      const verb = o.dryRun ? 'would redrive' : 'redriven';
      for (const r of result.redriven)
        out(`${verb} ${r.topic} ${r.id} → ${r.to.topic}${o.dryRun ? '' : ` ${r.to.id}`}`);
      for (const s of result.skipped) out(`skipped ${s.topic} ${s.id}: ${s.reason}`);
      out(`${result.redriven.length} ${verb}, ${result.skipped.length} skipped`);
    }
    return result.skipped.length > 0 && result.redriven.length === 0 ? EXIT.failure : EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

export async function dlqDiscardCommand(ids: string[], o: DlqChangeOptions): Promise<number> {
  try {
    const filter = selection(ids, o, 'discard');
    if (!o.reason) {
      throw new ConfigError('discard needs --reason "…": it stays recorded with the dead letter', {
        code: 'E_DLQ_REASON',
      });
    }
    const reason = o.reason;
    const done = await withDeadLetters(o, async (dl) =>
      o.dryRun ? (await dl.list(filter)).map(({ topic, id }) => ({ topic, id })) : dl.discard(filter, reason),
    );
    if (o.json) out(JSON.stringify(done, null, 2));
    else out(`${done.length} ${o.dryRun ? 'would be discarded' : 'discarded'}`);
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

function selection(ids: string[], o: DlqChangeOptions, verb: string) {
  return parseSelection({ ...o, ids }, o.allMatching === true, verb);
}

async function withDeadLetters<T>(o: Connection, use: (dl: DeadLetters) => Promise<T>): Promise<T> {
  const storage = await openAdminStorage(o.redis, o.prefix);
  try {
    return await use(new DeadLetters(storage));
  } finally {
    await storage.close();
  }
}

/** An embedded run's dead-letter file: one serialised event per line; its ids are its line numbers. */
async function fromFile(path: string): Promise<DeadLetter[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new SluiceError('fatal', `cannot read dead-letter file ${path}: ${(err as Error).message}`, {
      code: 'E_DLQ_FILE',
    });
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, i) => {
      const event = parseEvent(line);
      return toDeadLetter(path, { ...event, id: event.id ?? `line-${i + 1}` });
    });
}

function lineOf(l: DeadLetter): string {
  const where = l.origin.subscription ?? l.error.component;
  const attempts = l.attempts === null ? '' : `, ${l.attempts} attempt(s)`;
  const mark =
    l.mark?.state === 'discarded'
      ? `  DISCARDED ${l.mark.at}: ${l.mark.reason}`
      : l.mark?.state === 'redriven'
        ? `  REDRIVEN ${l.mark.at} → ${l.mark.to?.topic} ${l.mark.to?.id}`
        : '';
  return `${l.topic} ${l.id}  ${l.origin.pipeline} ${where}  ${l.error.code}${attempts}, failed ${l.failedAt ?? '-'}: ${l.error.reason}${mark}`;
}
