// Plugins for runtime tests: a list source, a sink that records and fails on demand, a processor that
// rejects chosen records. They use only the public SDK, like any plugin.
import { FatalError, RecordError, RetryableError } from '../../core/errors.js';
import { createEvent, type SluiceEvent } from '../../core/event.js';
import { defineProcessor, defineSink, defineSource, eachRecordSync, type Plugin, z } from '../../core/plugin.js';

/** What the recording sink has seen, by sink name. */
export const received = new Map<string, SluiceEvent[]>();
/** Per sink name: how the next writes fail, consumed in order. */
export const failures = new Map<string, Array<'retryable' | 'fatal' | 'record' | { rejectIndex: number }>>();
export const writes = new Map<string, number>();
/** The delivery id of each write a test-record sink was given, in order. */
export const deliveryIds = new Map<string, Array<string | undefined>>();
/** Runs inside test-list's poll, before it answers, with the checkpoint it polls from. */
export const pollHook: { run?: (checkpoint: unknown) => Promise<void> } = {};

export function resetTestPlugins(): void {
  received.clear();
  failures.clear();
  writes.clear();
  deliveryIds.clear();
  pollHook.run = undefined;
}

const listSource = defineSource({
  name: 'test-list',
  summary: 'Emits `count` events {n} then is done.',
  config: z.object({
    count: z.number().int().describe('How many events.'),
    batch: z.number().int().default(10).describe('Events per poll.'),
    keys: z.number().int().default(3).describe('Distinct keys.'),
    deepAt: z.number().int().optional().describe('The event with this n carries a value nested 100 000 levels deep.'),
  }),
  create: (config) => ({
    intervalMs: 1,
    async poll(checkpoint) {
      await pollHook.run?.(checkpoint);
      const from = (checkpoint as { n?: number } | undefined)?.n ?? 0;
      if (from >= config.count) return { events: [], checkpoint: { n: from }, done: true };
      const to = Math.min(config.count, from + config.batch);
      const events = [];
      for (let n = from; n < to; n++) {
        const value = n === config.deepAt ? { n, deep: nestedArrays(100_000) } : { n };
        events.push(createEvent({ key: `k${n % config.keys}`, value }));
      }
      return { events, checkpoint: { n: to }, hasMore: to < config.count };
    },
  }),
});

function nestedArrays(depth: number): unknown {
  let value: unknown = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

const recordingSink = defineSink({
  name: 'test-record',
  summary: 'Records what it receives; fails as told by the test.',
  config: z.object({
    id: z.string().describe('Name to record under.'),
    delayMs: z.number().default(0).describe('Delay per write.'),
  }),
  create: (config) => ({
    async write(batch, context) {
      writes.set(config.id, (writes.get(config.id) ?? 0) + 1);
      deliveryIds.set(config.id, [...(deliveryIds.get(config.id) ?? []), context?.deliveryId]);
      if (config.delayMs > 0) await new Promise((r) => setTimeout(r, config.delayMs));
      const failure = failures.get(config.id)?.shift();
      if (failure === 'retryable') throw new RetryableError('receiver answered 503', { retryAfterMs: 5 });
      if (failure === 'fatal') throw new FatalError('receiver says the credentials are wrong: fix the token');
      if (failure === 'record') throw new RecordError('receiver refused the whole batch');
      // Serialise as a real sink would, so that values it cannot write fail here.
      for (const e of batch) JSON.stringify(e.value);
      const list = received.get(config.id) ?? [];
      received.set(config.id, list);
      if (failure && typeof failure === 'object') {
        list.push(...batch.filter((_, i) => i !== failure.rejectIndex));
        return {
          rejected: [{ index: failure.rejectIndex, error: new RecordError('receiver answered 400 for this record') }],
        };
      }
      list.push(...batch);
      return undefined;
    },
  }),
});

const rejectProcessor = defineProcessor({
  name: 'test-reject-odd',
  summary: 'Rejects events whose value.n is odd.',
  config: z.object({}),
  create: () => ({
    process: (batch) =>
      eachRecordSync(batch, (e) => {
        if ((e.value as { n: number }).n % 2 === 1) throw new RecordError(`n=${(e.value as { n: number }).n} is odd`);
        return e;
      }),
  }),
});

export const testPlugins: Plugin[] = [listSource, recordingSink, rejectProcessor];
