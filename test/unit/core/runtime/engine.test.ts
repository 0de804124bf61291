import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtins } from '../../../../builtins.js';
import { loadConfig } from '../../../../core/config/load.js';
import { createEvent } from '../../../../core/event.js';
import { MemoryQueue } from '../../../../core/queue/memory.js';
import { EMBEDDED_MAX_EVENTS } from '../../../../core/runtime/embedded-retention.js';
import { Engine } from '../../../../core/runtime/engine.js';
import { silentLogger } from '../../../../core/runtime/logger.js';
import { MemoryStorage } from '../../../../core/storage/memory.js';
import {
  deliveryIds,
  failures,
  pollHook,
  received,
  resetTestPlugins,
  testPlugins,
  writes,
} from '../../../harness/test-plugins.js';

let engines: Engine[] = [];

async function start(yaml: string, opts: { maxLag?: number; retentionEveryMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-engine-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(file, yaml);
  const config = await loadConfig([file], { builtins: [...builtins, ...testPlugins], env: {} });
  const storage = new MemoryStorage();
  const engine = new Engine({
    config,
    storage,
    queue: new MemoryQueue({ logger: silentLogger }),
    logger: silentLogger,
    maxLag: opts.maxLag,
    retentionEveryMs: opts.retentionEveryMs,
  });
  engines.push(engine);
  await engine.start();
  return { engine, storage };
}

async function until(check: () => Promise<boolean> | boolean, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const ns = (id: string) => (received.get(id) ?? []).map((e) => (e.value as { n: number }).n).sort((a, b) => a - b);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

beforeEach(() => resetTestPlugins());
afterEach(async () => {
  await Promise.all(engines.map((e) => e.stop(0)));
  engines = [];
});

describe('the embedded runtime', () => {
  it('delivers every event of a finite source once and reports itself drained', async () => {
    const { engine } = await start(`pipelines:
  p:
    source: { type: test-list, count: 1000, batch: 100 }
    topic: t
    sinks: [ { type: test-record, id: a } ]
`);
    await until(() => engine.isDrained());
    expect(ns('a')).toEqual(range(1000));
    expect(engine.metrics.totals()).toMatchObject({ in: 1000, out: 1000, deadLettered: 0 });
  });

  // A poller that stalled past its lease while the fleet's new one stored from the same checkpoint: here the move
  // happens inside the poll from n = 20 (another poller stored up to n = 50), so that poll's events 20..29 are
  // stale. Starts the pipeline with that poll going stale; what was not stale is `fresh`.
  async function startWithStalePoll(processors = '') {
    let storage: MemoryStorage | undefined;
    pollHook.run = async (checkpoint) => {
      if ((checkpoint as { n?: number } | undefined)?.n === 20) await storage?.setCheckpoint('t', 'p', { n: 50 });
    };
    const started = await start(`pipelines:
  p:
    source: { type: test-list, count: 100, batch: 10 }${processors}
    topic: t
    sinks: [ { type: test-record, id: a } ]
`);
    storage = started.storage;
    await until(() => started.engine.isDrained());
    return { ...started, fresh: [...range(20), ...range(50).map((n) => n + 50)] };
  }

  it('stores nothing of a poll whose checkpoint another poller moved while it ran', async () => {
    const { fresh } = await startWithStalePoll();
    expect(ns('a')).toEqual(fresh);
  });

  it('dead-letters nothing of a poll whose checkpoint moved while it ran: its rejects come once, from the poll that took over', async () => {
    // test-reject-odd rejects 21..29 of the stale poll, which must not be dead-lettered; the poll from 50 rejects
    // its own odd ones.
    const { engine, storage, fresh } = await startWithStalePoll('\n    processors: [ { type: test-reject-odd } ]');
    const odd = (n: number) => n % 2 === 1;
    expect(ns('a')).toEqual(fresh.filter((n) => !odd(n)));
    const dlq = await storage.read('p.dlq', { limit: 1000 });
    const lettered = dlq.map((e) => (e.value as { n: number }).n).sort((a, b) => a - b);
    expect(lettered).toEqual(fresh.filter(odd));
    expect(engine.metrics.totals().deadLettered).toBe(lettered.length);
  });

  it('keeps per-key order for an ordered sink', async () => {
    const { engine } = await start(`pipelines:
  p:
    source: { type: test-list, count: 600, batch: 50, keys: 4 }
    topic: t
    sinks: [ { type: test-record, id: a, ordered: true, batch: { maxEvents: 7 } } ]
`);
    await until(() => engine.isDrained());
    const byKey = new Map<string, number[]>();
    for (const e of received.get('a') ?? [])
      byKey.set(e.key as string, [...(byKey.get(e.key as string) ?? []), (e.value as { n: number }).n]);
    for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
    expect(ns('a')).toEqual(range(600));
  });

  it('retries a retryable failure with backoff and then delivers, without duplicates', async () => {
    failures.set('a', ['retryable', 'retryable', 'retryable']);
    const { engine } = await start(`pipelines:
  p:
    source: { type: test-list, count: 30, batch: 30 }
    topic: t
    retry: { attempts: 5, baseMs: 1, capMs: 10 }
    sinks: [ { type: test-record, id: a, batch: { maxEvents: 100 } } ]
`);
    await until(() => engine.isDrained());
    expect(ns('a')).toEqual(range(30));
    expect(engine.metrics.totals().retries).toBeGreaterThanOrEqual(3);
  });

  it('names each write by its stored range, the same on a retry, and each event alone by its place', async () => {
    failures.set('a', ['retryable', 'record']);
    const { engine } = await start(`pipelines:
  p:
    source: { type: test-list, count: 3, batch: 3, keys: 1 }
    topic: t
    retry: { attempts: 5, baseMs: 1, capMs: 10 }
    sinks: [ { type: test-record, id: a, batch: { maxEvents: 100 } } ]
`);
    await until(() => engine.isDrained());
    expect(ns('a')).toEqual(range(3));
    // The first write fails retryably; its retry is refused as a record error; then each event goes alone.
    const [first, retried, ...alone] = deliveryIds.get('a') ?? [];
    expect(first).toMatch(/\/\d+-\d+-\d+\/\d+-\d+-\d+$/);
    expect(retried).toBe(first);
    expect(alone).toEqual([`${first}/0`, `${first}/1`, `${first}/2`]);
  });

  it('sends a batch to the dead-letter topic with the reason once attempts run out, and goes on', async () => {
    failures.set('a', ['retryable', 'retryable']);
    const { engine, storage } = await start(`pipelines:
  p:
    source: { type: test-list, count: 10, batch: 10, keys: 1 }
    topic: t
    sinks: [ { type: test-record, id: a, retry: { attempts: 2, baseMs: 1, capMs: 2 }, batch: { maxEvents: 100 } } ]
`);
    await until(() => engine.isDrained());
    const dlq = await storage.read('p.dlq', { limit: 100 });
    expect(dlq).toHaveLength(10);
    expect(dlq[0].headers['sluice-error']).toMatch(/gave up after 2 attempts: receiver answered 503/);
    expect(dlq[0].headers['sluice-attempts']).toBe('2');
    expect(dlq[0].headers['sluice-source-topic']).toBe('t');
    expect(dlq[0].headers['sluice-source-id']).toMatch(/^\d+-\d+-\d+$/);
  });

  // Five events in one batch to one recording sink; gives what was dead-lettered once all is done.
  async function deliverFiveInOneBatch(sourceExtra = '') {
    const { engine, storage } = await start(`pipelines:
  p:
    source: { type: test-list, count: 5, batch: 5, keys: 1${sourceExtra} }
    topic: t
    sinks: [ { type: test-record, id: a, batch: { maxEvents: 100 } } ]
`);
    await until(() => engine.isDrained());
    return storage.read('p.dlq', { limit: 100 });
  }

  it('dead-letters only the record a sink rejected; the rest of the batch is delivered', async () => {
    failures.set('a', [{ rejectIndex: 0 }]);
    const dlq = await deliverFiveInOneBatch();
    expect(dlq).toHaveLength(1);
    expect(dlq[0].headers['sluice-error']).toBe('receiver answered 400 for this record');
    expect(ns('a')).toEqual([1, 2, 3, 4]);
  });

  it('dead-letters only the event nested too deeply for the sink to serialise; the rest of the batch is delivered', async () => {
    const dlq = await deliverFiveInOneBatch(', deepAt: 2');
    expect(dlq).toHaveLength(1);
    expect(dlq[0].headers['sluice-error']).toMatch(/nested too deeply/);
    expect(ns('a')).toEqual([0, 1, 3, 4]);
    expect(writes.get('a')).toBeLessThanOrEqual(6);
  });

  it('dead-letters records a processor rejects, with the processor named, and keeps the others', async () => {
    const { engine, storage } = await start(`pipelines:
  p:
    source: { type: test-list, count: 10, batch: 10 }
    processors: [ { type: test-reject-odd } ]
    topic: t
    sinks: [ { type: test-record, id: a } ]
`);
    await until(() => engine.isDrained());
    expect(ns('a')).toEqual([0, 2, 4, 6, 8]);
    const dlq = await storage.read('p.dlq', { limit: 100 });
    expect(dlq.map((e) => (e.value as { n: number }).n).sort()).toEqual([1, 3, 5, 7, 9]);
    expect(dlq[0].headers['sluice-component']).toBe('pipelines.p.processors[0] (test-reject-odd)');
  });

  it('stops a pipeline on a fatal error with a message that says what to fix, leaving events stored', async () => {
    failures.set('a', ['fatal']);
    const { engine } = await start(`pipelines:
  p:
    source: { type: test-list, count: 5, batch: 5, keys: 1 }
    topic: t
    sinks: [ { type: test-record, id: a } ]
`);
    await until(() => engine.fatalError !== undefined);
    expect(engine.fatalError?.error.message).toMatch(
      /pipeline "p" stopped: receiver says the credentials are wrong: fix the token/,
    );
    expect(received.get('a') ?? []).toHaveLength(0);
  });

  it('lets two sinks consume independently: a slow one does not hold back the other', async () => {
    const { engine } = await start(`pipelines:
  p:
    source: { type: test-list, count: 200, batch: 50 }
    topic: t
    sinks:
      - { type: test-record, id: fast, batch: { maxEvents: 50 } }
      - { type: test-record, id: slow, delayMs: 400, ordered: true, batch: { maxEvents: 10 } }
`);
    await until(() => ns('fast').length === 200, 5000);
    expect(ns('slow').length).toBeLessThan(200);
    await engine.stop(0);
  });

  it('applies backpressure: a source waits while the topic lag is over the limit', async () => {
    const { engine } = await start(
      `pipelines:
  p:
    source: { type: test-list, count: 100000, batch: 500 }
    topic: t
    sinks: [ { type: test-record, id: a, delayMs: 20, ordered: true, batch: { maxEvents: 100 } } ]
`,
      { maxLag: 1000 },
    );
    await new Promise((r) => setTimeout(r, 400));
    const { in: stored, out: delivered } = engine.metrics.totals();
    expect(stored).toBeLessThan(100_000);
    // Undelivered events stay within the limit plus the one batch a waiting source may already hold.
    expect(stored - delivered).toBeLessThanOrEqual(1000 + 500 + 100);
    expect(await engine.pipelines[0].lag()).toBeLessThanOrEqual(1000 + 500);
  });

  it('routes events to the sink named by the route processor', async () => {
    const { engine } = await start(`pipelines:
  p:
    source: { type: test-list, count: 20, batch: 20 }
    processors:
      - type: route
        routes:
          - { name: even, when: 'value.n % 2 = 0' }
          - { name: odd, when: 'value.n % 2 = 1' }
    topic: t
    sinks:
      - { type: test-record, id: evens, route: even }
      - { type: test-record, id: odds, route: odd }
`);
    await until(() => engine.isDrained());
    expect(ns('evens')).toEqual(range(10).map((n) => n * 2));
    expect(ns('odds')).toEqual(range(10).map((n) => n * 2 + 1));
  });

  it('drains in-flight batches on stop before closing', async () => {
    const { engine } = await start(`pipelines:
  p:
    source: { type: test-list, count: 50, batch: 50 }
    topic: t
    sinks: [ { type: test-record, id: a, delayMs: 100, batch: { maxEvents: 10 }, concurrency: 1, ordered: true } ]
`);
    await until(() => (writes.get('a') ?? 0) > 0);
    await engine.stop(10_000);
    expect(ns('a')).toEqual(range(50));
  });

  it('applies topic retention once events are delivered', async () => {
    const { engine, storage } = await start(
      `topics:
  t: { partitions: 1, retention: { maxEvents: 10 } }
pipelines:
  p:
    source: { type: test-list, count: 100, batch: 50 }
    topic: t
    sinks: [ { type: test-record, id: a } ]
`,
      { retentionEveryMs: 20 },
    );
    await until(() => engine.isDrained());
    await until(async () => (await storage.topicInfo('t')).length <= 10);
    expect(ns('a')).toEqual(range(100));
  });

  it('keeps at most EMBEDDED_MAX_EVENTS delivered events per partition of a topic without retention', async () => {
    const count = EMBEDDED_MAX_EVENTS + 5_000;
    const { engine, storage } = await start(
      `topics:
  t: { partitions: 1 }
pipelines:
  p:
    source: { type: test-list, count: ${count}, batch: 5000 }
    topic: t
    sinks: [ { type: test-record, id: a, batch: { maxEvents: 5000 } } ]
`,
      { retentionEveryMs: 20 },
    );
    await until(() => engine.isDrained(), 60_000);
    await until(async () => (await storage.topicInfo('t')).length <= EMBEDDED_MAX_EVENTS, 30_000);
    expect(received.get('a')?.length).toBe(count);
  });

  it('refuses a push source at once with a retryable E_BACKPRESSURE when the topic is over maxLag', async () => {
    const { engine } = await start(`topics:
  t: { partitions: 1, maxLag: 100 }
pipelines:
  p:
    topic: t
    sinks: [ { type: test-record, id: a, delayMs: 5000, ordered: true, batch: { maxEvents: 1 } } ]
`);
    const events = range(200).map((n) => createEvent({ key: 'k', value: { n } }));
    await engine.pipelines[0].ingest(events);
    await expect(engine.pipelines[0].ingest(events, { maxWaitMs: 0 })).rejects.toMatchObject({
      kind: 'retryable',
      code: 'E_BACKPRESSURE',
      retryAfterMs: 1000,
    });
  });
});
