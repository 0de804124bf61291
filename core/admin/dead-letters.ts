// The dead-letter workflow shared by `sluice dlq` and the admin API: list and inspect dead letters with their
// error and origin, redrive them to the sink they failed in, discard them with a reason.
//
// Invariant: a dead letter is redriven at most once. Its redrive is one append to the original topic under an
// idempotency key named after the dead letter (remembered for REDRIVE_MEMORY_MS), then a mark beside the
// dead-letter topic; a re-run skips marked letters, and a run that crashed between the two finds the append
// already made and only writes the mark. Discarding writes a mark too: the event stays in the topic, its
// reason stays with it.
import jsonata from 'jsonata';
import { ConfigError } from '../errors.js';
import { type EventValue, type SluiceEvent, valueToJson } from '../event.js';
import { DLQ_HEADERS } from '../runtime/dead-letter.js';
import { REDRIVE_HEADERS } from '../runtime/redrive-delivery.js';
import { deadLetterTopics } from '../runtime/topic-roles.js';
import { parseEventId, type Storage, type StoredEvent } from '../storage/storage.js';

/** How long an append of a redrive is remembered, so a re-run after a crash long after does not append twice. */
const REDRIVE_MEMORY_MS = 30 * 86_400_000;

export type DeadLetterState = 'dead' | 'redriven' | 'discarded';

export interface DeadLetterMark {
  state: Exclude<DeadLetterState, 'dead'>;
  /** When, ISO time. */
  at: string;
  /** Why it was discarded. */
  reason?: string;
  /** Where the redrive appended it: topic and new id. */
  to?: { topic: string; id: string };
}

export interface DeadLetter {
  /** Dead-letter topic and id: the pair names it. */
  topic: string;
  id: string;
  key: string | null;
  value: EventValue;
  ts: number;
  /** The event's own headers, without the dead-letter ones. */
  headers: Record<string, string>;
  error: { reason: string; code: string; kind: string; component: string; details?: unknown };
  attempts: number | null;
  failedAt: string | null;
  origin: { pipeline: string; topic: string | null; id: string | null; subscription: string | null; step: number };
  state: DeadLetterState;
  mark?: DeadLetterMark;
}

export interface DeadLetterFilter {
  /** Only this dead-letter topic (default: every topic recorded as one). */
  topic?: string;
  pipeline?: string;
  /** A sink's subscription (`<pipeline>.<sink>`) or its name. */
  sink?: string;
  code?: string;
  /** Stored-time bounds, ms, inclusive. */
  from?: number;
  to?: number;
  ids?: readonly string[];
  /** Which states to include (default: only `dead`). */
  states?: readonly DeadLetterState[];
}

export interface RedriveResult {
  redriven: Array<{ topic: string; id: string; to: { topic: string; id: string } }>;
  skipped: Array<{ topic: string; id: string; reason: string }>;
}

const OWN_HEADERS = new Set<string>([...Object.values(DLQ_HEADERS), ...Object.values(REDRIVE_HEADERS)]);

function markScope(topic: string): string {
  return `sluice/dead-letters/${topic}`;
}

export class DeadLetters {
  constructor(private readonly storage: Storage) {}

  /** Dead letters matching the filter, oldest first per partition, up to `limit`. */
  async list(filter: DeadLetterFilter = {}, limit = Number.POSITIVE_INFINITY): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for await (const letter of this.matching(filter)) {
      if (out.length >= limit) break;
      out.push(letter);
    }
    return out;
  }

  /** One dead letter by id, in the given dead-letter topic or any. */
  async show(id: string, topic?: string): Promise<DeadLetter | undefined> {
    const [letter] = await this.list({ topic, ids: [id], states: ['dead', 'redriven', 'discarded'] }, 1);
    return letter;
  }

  /**
   * Sends each matching dead letter (state `dead`) back to the sink it failed in, through `edit` (a JSONata
   * expression over `{key, value, ts, headers}` whose result is the new value) when given.
   */
  async redrive(filter: DeadLetterFilter, options: { edit?: string; dryRun?: boolean } = {}): Promise<RedriveResult> {
    const edit = options.edit === undefined ? undefined : compileEdit(options.edit);
    const result: RedriveResult = { redriven: [], skipped: [] };
    for await (const letter of this.matching({ ...filter, states: ['dead'] })) {
      const { topic, id } = letter;
      const { subscription, topic: target } = letter.origin;
      if (subscription === null || target === null) {
        result.skipped.push({
          topic,
          id,
          reason: 'it failed before it was stored (in the source or its processors): send it to the source again',
        });
        continue;
      }
      let value = letter.value;
      if (edit) {
        const edited = await evaluateEdit(edit, letter);
        if ('problem' in edited) {
          result.skipped.push({ topic, id, reason: edited.problem });
          continue;
        }
        value = edited.value;
      }
      if (options.dryRun) {
        result.redriven.push({ topic, id, to: { topic: target, id: '(dry run)' } });
        continue;
      }
      const event: SluiceEvent = {
        key: letter.key,
        value,
        ts: letter.ts,
        headers: {
          ...letter.headers,
          [REDRIVE_HEADERS.subscription]: subscription,
          [REDRIVE_HEADERS.step]: String(letter.origin.step),
          [REDRIVE_HEADERS.from]: `${topic}/${id}`,
        },
      };
      const { ids } = await this.storage.append(target, [event], {
        idempotencyKey: `redrive:${topic}:${id}`,
        idempotencyTtlMs: REDRIVE_MEMORY_MS,
      });
      const to = { topic: target, id: ids[0] };
      await this.setMark(topic, id, { state: 'redriven', at: new Date().toISOString(), to });
      result.redriven.push({ topic, id, to });
    }
    return result;
  }

  /** Marks each matching dead letter (state `dead`) as discarded with `reason`; returns them. */
  async discard(filter: DeadLetterFilter, reason: string): Promise<Array<{ topic: string; id: string }>> {
    if (reason.trim() === '') {
      throw new ConfigError('a discard needs a reason (--reason "…"): it stays recorded with the dead letter', {
        code: 'E_DLQ_REASON',
      });
    }
    const done: Array<{ topic: string; id: string }> = [];
    for await (const { topic, id } of this.matching({ ...filter, states: ['dead'] })) {
      await this.setMark(topic, id, { state: 'discarded', at: new Date().toISOString(), reason });
      done.push({ topic, id });
    }
    return done;
  }

  private setMark(topic: string, id: string, mark: DeadLetterMark): Promise<void> {
    return this.storage.state(markScope(topic)).set(id, JSON.stringify(mark));
  }

  private async *matching(filter: DeadLetterFilter): AsyncIterable<DeadLetter> {
    const states = filter.states ?? ['dead'];
    const topics = filter.topic === undefined ? await deadLetterTopics(this.storage) : [filter.topic];
    for (const topic of topics) {
      const marks = this.storage.state(markScope(topic));
      for await (const page of this.candidates(topic, filter)) {
        // One request per mark, sent together: a page of dead letters costs one round trip, not one each.
        const found = await Promise.all(page.map((e) => marks.get(e.id)));
        for (const [i, event] of page.entries()) {
          const mark = found[i];
          const letter = toDeadLetter(topic, event, mark === undefined ? undefined : JSON.parse(mark));
          if (states.includes(letter.state) && matches(letter, filter)) yield letter;
        }
      }
    }
  }

  /** Pages of the stored events that may match: the named ids only, or a scan within the time bounds. */
  private async *candidates(topic: string, filter: DeadLetterFilter): AsyncIterable<StoredEvent[]> {
    if (filter.ids === undefined) {
      yield* this.storage.scan(topic, { fromTime: filter.from, toTime: filter.to });
      return;
    }
    const { partitions } = await this.storage.topicInfo(topic);
    for (const id of filter.ids) {
      const partition = partitionOf(id);
      if (partition === undefined || partition >= partitions) continue;
      yield await this.storage.read(topic, { partition, fromId: id, toId: id });
    }
  }
}

function partitionOf(id: string): number | undefined {
  try {
    return parseEventId(id).partition;
  } catch {
    return undefined;
  }
}

/** A dead letter as the workflow sees it, from the headers dead-letter.ts wrote. */
export function toDeadLetter(topic: string, event: SluiceEvent & { id: string }, mark?: DeadLetterMark): DeadLetter {
  const h = event.headers;
  const headers = Object.fromEntries(Object.entries(h).filter(([name]) => !OWN_HEADERS.has(name)));
  const attempts = Number(h[DLQ_HEADERS.attempts]);
  let details: unknown;
  try {
    details = h[DLQ_HEADERS.details] === undefined ? undefined : JSON.parse(h[DLQ_HEADERS.details]);
  } catch {
    details = h[DLQ_HEADERS.details];
  }
  return {
    topic,
    id: event.id,
    key: event.key,
    value: event.value,
    ts: event.ts,
    headers,
    error: {
      reason: h[DLQ_HEADERS.error] ?? '',
      code: h[DLQ_HEADERS.code] ?? '',
      kind: h[DLQ_HEADERS.kind] ?? '',
      component: h[DLQ_HEADERS.component] ?? '',
      ...(details === undefined ? {} : { details }),
    },
    attempts: Number.isFinite(attempts) && h[DLQ_HEADERS.attempts] !== undefined ? attempts : null,
    failedAt: h[DLQ_HEADERS.failedAt] ?? null,
    origin: {
      pipeline: h[DLQ_HEADERS.pipeline] ?? '',
      topic: h[DLQ_HEADERS.topic] ?? null,
      id: h[DLQ_HEADERS.id] ?? null,
      subscription: h[DLQ_HEADERS.subscription] ?? null,
      step: Number(h[DLQ_HEADERS.step] ?? 0) || 0,
    },
    state: mark?.state ?? 'dead',
    ...(mark ? { mark } : {}),
  };
}

/** As JSON output: a bytes value tagged the way stored events are. */
export function jsonOf(letter: DeadLetter): unknown {
  return { ...letter, value: valueToJson(letter.value) };
}

/** Whether a dead letter passes the filter's field tests (topic, time and ids are bounds of the read). */
export function matches(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.pipeline !== undefined && letter.origin.pipeline !== filter.pipeline) return false;
  if (filter.code !== undefined && letter.error.code !== filter.code) return false;
  if (filter.sink !== undefined) {
    const s = letter.origin.subscription;
    if (s === null || (s !== filter.sink && !s.endsWith(`.${filter.sink}`))) return false;
  }
  if (filter.from !== undefined || filter.to !== undefined) {
    const stored = storedTime(letter.id);
    if (filter.from !== undefined && stored < filter.from) return false;
    if (filter.to !== undefined && stored > filter.to) return false;
  }
  return true;
}

function storedTime(id: string): number {
  return Number(parseEventId(id).streamId.split('-')[0]);
}

function compileEdit(text: string): jsonata.Expression {
  try {
    return jsonata(text);
  } catch (err) {
    throw new ConfigError(`--edit "${text}" is not a valid JSONata expression: ${(err as Error).message}`, {
      code: 'E_DLQ_EDIT',
    });
  }
}

async function evaluateEdit(
  edit: jsonata.Expression,
  letter: DeadLetter,
): Promise<{ value: EventValue } | { problem: string }> {
  try {
    const value = await edit.evaluate({ key: letter.key, value: letter.value, ts: letter.ts, headers: letter.headers });
    if (value === undefined) return { problem: 'the edit expression selected nothing for it' };
    // JSONata marks sequences with extra properties; a JSON round trip leaves the plain value.
    return { value: JSON.parse(JSON.stringify(value)) as EventValue };
  } catch (err) {
    return { problem: `the edit expression failed on it: ${(err as Error).message}` };
  }
}
