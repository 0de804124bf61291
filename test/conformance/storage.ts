// The suite every Storage driver passes unchanged: it uses only the Storage contract, as the runtime, the CLI
// and the query engine do. A driver test calls `describeStorageConformance(name, make)`; `make` returns a fresh,
// empty storage and a `cleanup` that closes it and removes everything it stored (it may find it closed already).

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEvent, type SluiceEvent } from '../../core/event.js';
import {
  compareStreamIds,
  formatEventId,
  parseEventId,
  partitionFor,
  type Storage,
  type StoredEvent,
  type TopicSpec,
} from '../../core/storage/storage.js';

export interface StorageUnderTest {
  storage: Storage;
  cleanup: () => Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Stored time of an event: the milliseconds part of its stream id. */
const storedTime = (id: string): number => Number(parseEventId(id).streamId.split('-')[0]);

const ev = (value: unknown, key: string | null = null, ts = 1_700_000_000_000): SluiceEvent =>
  createEvent({ key, value, ts, headers: {} });

const values = (events: readonly StoredEvent[]) => events.map((e) => e.value);

function expectSameEvent(stored: StoredEvent, sent: SluiceEvent): void {
  expect(stored.key).toBe(sent.key);
  expect(stored.ts).toBe(sent.ts);
  expect(stored.headers).toEqual(sent.headers);
  expect(normalizeBytes(stored.value)).toEqual(normalizeBytes(sent.value));
  if (sent.value instanceof Uint8Array) expect(stored.value).toBeInstanceOf(Uint8Array);
}

// Drivers may return bytes as a Buffer (a Uint8Array); compare their content, tagged so that bytes never
// compare equal to an array of numbers.
function normalizeBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: Array.from(value) };
  if (Array.isArray(value)) return value.map(normalizeBytes);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalizeBytes(v)]));
  }
  return value;
}

/** Waits until the clock has moved past `id`'s stored time, so the next append is stored strictly later. */
async function nextMillisecond(id: string): Promise<void> {
  while (Date.now() <= storedTime(id) + 1) await sleep(2);
}

export function describeStorageConformance(name: string, make: () => Promise<StorageUnderTest>): void {
  describe(`Storage conformance: ${name}`, () => {
    let storage: Storage;
    let cleanup: () => Promise<void>;
    let topicCount = 0;

    beforeEach(async () => {
      ({ storage, cleanup } = await make());
    });
    afterEach(async () => {
      await cleanup();
    });

    /** A topic with a name unique to this test, created with `spec` (one partition unless told). */
    async function topic(spec: Partial<Omit<TopicSpec, 'name'>> = {}): Promise<string> {
      const name = `t${++topicCount}-${Math.random().toString(36).slice(2, 8)}`;
      await storage.ensureTopic({ name, partitions: 1, ...spec });
      return name;
    }

    describe('topics and partitions', () => {
      it('lists the topics it created', async () => {
        const a = await topic();
        const b = await topic({ partitions: 3 });
        const listed = await storage.listTopics();
        expect(listed).toContain(a);
        expect(listed).toContain(b);
      });

      it('accepts ensureTopic again with the same partition count and refuses another count', async () => {
        const t = await topic({ partitions: 4 });
        await storage.ensureTopic({ name: t, partitions: 4, retention: { maxEvents: 10 } });
        await expect(storage.ensureTopic({ name: t, partitions: 8 })).rejects.toMatchObject({
          kind: 'config',
          code: 'E_TOPIC_PARTITIONS',
        });
        expect((await storage.topicInfo(t)).partitions).toBe(4);
      });

      it('refuses to work on a topic that was never created', async () => {
        await expect(storage.append('no-such-topic', [ev(1)])).rejects.toMatchObject({ code: 'E_TOPIC_UNKNOWN' });
        await expect(storage.read('no-such-topic', {})).rejects.toMatchObject({ code: 'E_TOPIC_UNKNOWN' });
        await expect(storage.topicInfo('no-such-topic')).rejects.toMatchObject({ code: 'E_TOPIC_UNKNOWN' });
        await expect(storage.ensureSubscription('no-such-topic', 's', 'beginning')).rejects.toMatchObject({
          code: 'E_TOPIC_UNKNOWN',
        });
      });

      it('puts every event of a key in the partition partitionFor names, in append order', async () => {
        const t = await topic({ partitions: 4 });
        const keys = ['car-1', 'car-2', 'car-3', 'car-4', 'car-5', 'car-6'];
        const sent: SluiceEvent[] = [];
        for (let i = 0; i < 60; i++) sent.push(ev({ key: keys[i % keys.length], n: i }, keys[i % keys.length]));
        // Two appends, so that order holds across batches too.
        await storage.append(t, sent.slice(0, 25));
        await storage.append(t, sent.slice(25));
        const stored = await storage.read(t, {});
        expect(stored).toHaveLength(60);
        for (const key of keys) {
          const ofKey = stored.filter((e) => e.key === key);
          expect(new Set(ofKey.map((e) => e.partition))).toEqual(new Set([partitionFor(key, 4)]));
          const inPartition = await storage.read(t, { partition: partitionFor(key, 4) });
          expect(inPartition.filter((e) => e.key === key).map((e) => (e.value as { n: number }).n)).toEqual(
            sent.filter((e) => e.key === key).map((e) => (e.value as { n: number }).n),
          );
        }
      });

      it('spreads events without a key over all partitions', async () => {
        const t = await topic({ partitions: 4 });
        const result = await storage.append(
          t,
          Array.from({ length: 40 }, (_, i) => ev(i)),
        );
        const perPartition = [0, 0, 0, 0];
        for (const id of result.ids) perPartition[parseEventId(id).partition]++;
        for (const n of perPartition) {
          expect(n).toBeGreaterThan(0);
          expect(n).toBeLessThanOrEqual(20);
        }
      });

      it('gives each event an id <partition>-<ms>-<seq>, unique in the topic and increasing in its partition', async () => {
        const t = await topic({ partitions: 3 });
        const first = await storage.append(
          t,
          Array.from({ length: 30 }, (_, i) => ev(i, `k${i % 7}`)),
        );
        const second = await storage.append(
          t,
          Array.from({ length: 30 }, (_, i) => ev(i, `k${i % 5}`)),
        );
        const ids = [...first.ids, ...second.ids];
        expect(new Set(ids).size).toBe(60);
        const stored = await storage.read(t, {});
        for (const e of stored) {
          const { partition, streamId } = parseEventId(e.id);
          expect(partition).toBe(e.partition);
          expect(formatEventId(partition, streamId)).toBe(e.id);
        }
        for (let p = 0; p < 3; p++) {
          const inPartition = (await storage.read(t, { partition: p })).map((e) => parseEventId(e.id).streamId);
          for (let i = 1; i < inPartition.length; i++) {
            expect(compareStreamIds(inPartition[i - 1], inPartition[i])).toBe(-1);
          }
        }
      });

      it('returns ids in the order of the appended events', async () => {
        const t = await topic({ partitions: 3 });
        const sent = Array.from({ length: 20 }, (_, i) => ev(i, i % 2 === 0 ? `k${i}` : null));
        const { ids, duplicate } = await storage.append(t, sent);
        expect(duplicate).toBe(false);
        const byId = new Map((await storage.read(t, {})).map((e) => [e.id, e]));
        expect(ids.map((id) => byId.get(id)?.value)).toEqual(sent.map((e) => e.value));
      });
    });

    describe('append and read', () => {
      it('stores values, keys, headers and event times exactly, bytes included', async () => {
        const t = await topic({ partitions: 2 });
        const sent: SluiceEvent[] = [
          createEvent({ value: 'plain text', key: 'a', ts: 1 }),
          createEvent({ value: new Uint8Array([0, 1, 2, 250, 255]), key: null, ts: 1_700_000_000_123 }),
          createEvent({ value: new Uint8Array(0), key: '', ts: 0 }),
          createEvent({ value: { nested: { bytes: new Uint8Array([9, 8]) }, list: [1, 'two', null] }, ts: 5 }),
          createEvent({ value: null, key: 'k', ts: -1000, headers: { 'content-type': 'text/csv', empty: '' } }),
          createEvent({ value: 42, ts: 1.5 }),
          createEvent({ value: true, ts: 2 }),
          createEvent({ value: '', ts: 3 }),
          createEvent({ value: '{"looks":"like json"}', ts: 4 }),
          createEvent({ value: { $bytes: 'not really bytes' }, ts: 6 }),
          createEvent({ value: 'ünïcødé ✓ 🚀', key: 'ключ', ts: 7, headers: { 'x-ü': '✓' } }),
        ];
        const { ids } = await storage.append(t, sent);
        const byId = new Map((await storage.read(t, {})).map((e) => [e.id, e]));
        ids.forEach((id, i) => {
          expectSameEvent(byId.get(id)!, sent[i]);
        });
      });

      it('round-trips any event exactly (property)', async () => {
        const t = await topic({ partitions: 3 });
        // JSON has no -0: a value goes through JSON once before it is sent.
        const jsonValue = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
        const value = fc.oneof(
          jsonValue,
          fc.string({ unit: 'binary' }),
          fc.uint8Array({ maxLength: 300 }),
          fc.record({ data: fc.uint8Array({ maxLength: 20 }), tag: fc.string() }),
        );
        const event = fc.record({
          key: fc.option(fc.string({ unit: 'binary' }), { nil: null }),
          value,
          ts: fc.oneof(
            fc.integer({ min: 0, max: 4_102_444_800_000 }),
            fc.double({ noNaN: true, noDefaultInfinity: true }),
          ),
          headers: fc.dictionary(fc.string(), fc.string({ unit: 'grapheme' }), { maxKeys: 4 }),
        });
        await fc.assert(
          fc.asyncProperty(fc.array(event, { minLength: 1, maxLength: 20 }), async (sent) => {
            const normalized = sent.map((e) => createEvent({ ...e, ts: Object.is(e.ts, -0) ? 0 : e.ts }));
            const { ids } = await storage.append(t, normalized);
            for (let i = 0; i < ids.length; i++) {
              const { partition } = parseEventId(ids[i]);
              const [stored] = await storage.read(t, { partition, fromId: ids[i], toId: ids[i] });
              expect(stored.id).toBe(ids[i]);
              expectSameEvent(stored, normalized[i]);
            }
          }),
          { numRuns: 25 },
        );
      });

      it('appends a batch of 2000 events in one call', async () => {
        const t = await topic({ partitions: 4 });
        const sent = Array.from({ length: 2000 }, (_, i) => ev({ i, pad: 'x'.repeat(100) }, `k${i % 50}`));
        const { ids } = await storage.append(t, sent);
        expect(ids).toHaveLength(2000);
        expect((await storage.topicInfo(t)).length).toBe(2000);
      });

      it('accepts an empty append', async () => {
        const t = await topic();
        expect(await storage.append(t, [])).toEqual({ ids: [], duplicate: false });
        expect((await storage.topicInfo(t)).length).toBe(0);
      });

      it('refuses an event with a non-finite time and stores nothing of that append', async () => {
        const t = await topic();
        const bad = { key: null, value: 1, ts: Number.NaN, headers: {} };
        await expect(
          storage.append(t, [ev(0), bad], { checkpoint: { source: 'src', value: { offset: 9 } } }),
        ).rejects.toMatchObject({ kind: 'record' });
        expect(await storage.read(t, {})).toEqual([]);
        expect(await storage.getCheckpoint(t, 'src')).toBeUndefined();
      });

      it('reads one partition from an id (inclusive), after an id (exclusive), up to an id, with a limit', async () => {
        const t = await topic({ partitions: 2 });
        const { ids } = await storage.append(
          t,
          Array.from({ length: 10 }, (_, i) => ev(i, 'same-key')),
        );
        const partition = parseEventId(ids[0]).partition;
        expect(values(await storage.read(t, { partition }))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        expect(values(await storage.read(t, { partition, fromId: ids[3] }))).toEqual([3, 4, 5, 6, 7, 8, 9]);
        expect(values(await storage.read(t, { partition, afterId: ids[3] }))).toEqual([4, 5, 6, 7, 8, 9]);
        expect(values(await storage.read(t, { partition, toId: ids[2] }))).toEqual([0, 1, 2]);
        expect(values(await storage.read(t, { partition, fromId: ids[2], toId: ids[5] }))).toEqual([2, 3, 4, 5]);
        expect(values(await storage.read(t, { partition, afterId: ids[2], limit: 2 }))).toEqual([3, 4]);
        expect(values(await storage.read(t, { partition, limit: 3 }))).toEqual([0, 1, 2]);
        expect(await storage.read(t, { partition, afterId: ids[9] })).toEqual([]);
        expect(await storage.read(t, { partition: 1 - partition })).toEqual([]);
      });

      it('takes the partition from an id bound when none is given, and refuses ids of another partition', async () => {
        const t = await topic({ partitions: 2 });
        const { ids } = await storage.append(
          t,
          Array.from({ length: 5 }, (_, i) => ev(i, 'one-key')),
        );
        const partition = parseEventId(ids[0]).partition;
        const read = await storage.read(t, { afterId: ids[1] });
        expect(values(read)).toEqual([2, 3, 4]);
        expect(read.every((e) => e.partition === partition)).toBe(true);
        await expect(storage.read(t, { partition: 1 - partition, fromId: ids[0] })).rejects.toMatchObject({
          kind: 'config',
        });
      });

      it('reads by stored time (inclusive bounds) across all partitions', async () => {
        const t = await topic({ partitions: 3 });
        const a = await storage.append(
          t,
          Array.from({ length: 6 }, (_, i) => ev(`a${i}`, `k${i}`)),
        );
        await nextMillisecond(a.ids[a.ids.length - 1]);
        const b = await storage.append(
          t,
          Array.from({ length: 6 }, (_, i) => ev(`b${i}`, `k${i}`)),
        );
        await nextMillisecond(b.ids[b.ids.length - 1]);
        const c = await storage.append(
          t,
          Array.from({ length: 6 }, (_, i) => ev(`c${i}`, `k${i}`)),
        );
        const bFrom = Math.min(...b.ids.map(storedTime));
        const bTo = Math.max(...b.ids.map(storedTime));
        const onlyB = await storage.read(t, { fromTime: bFrom, toTime: bTo });
        expect(onlyB.map((e) => e.value).sort()).toEqual(['b0', 'b1', 'b2', 'b3', 'b4', 'b5']);
        const fromB = await storage.read(t, { fromTime: bFrom });
        expect(fromB).toHaveLength(12);
        const upToB = await storage.read(t, { toTime: bTo });
        expect(upToB).toHaveLength(12);
        expect(upToB.some((e) => c.ids.includes(e.id))).toBe(false);
        // Across partitions the result is in stored-time order.
        const all = await storage.read(t, {});
        for (let i = 1; i < all.length; i++) {
          expect(storedTime(all[i].id)).toBeGreaterThanOrEqual(storedTime(all[i - 1].id));
        }
        expect(await storage.read(t, { fromTime: bFrom, limit: 4 })).toHaveLength(4);
      });
    });

    describe('paged scan', () => {
      async function collect(t: string, options: Parameters<Storage['scan']>[1] = {}): Promise<StoredEvent[][]> {
        const pages: StoredEvent[][] = [];
        for await (const page of storage.scan(t, options)) pages.push(page);
        return pages;
      }

      it('returns every stored event once, in pages no larger than pageSize, each page of one partition in id order', async () => {
        const t = await topic({ partitions: 3 });
        const sent = Array.from({ length: 250 }, (_, i) => ev({ n: i }, `k${i % 7}`));
        await storage.append(t, sent.slice(0, 120));
        await storage.append(t, sent.slice(120));
        const pages = await collect(t, { pageSize: 16 });
        const seen = pages.flat();
        expect(seen.map((e) => (e.value as { n: number }).n).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i));
        for (const page of pages) {
          expect(page.length).toBeGreaterThan(0);
          expect(page.length).toBeLessThanOrEqual(16);
          expect(new Set(page.map((e) => e.partition)).size).toBe(1);
          for (let i = 1; i < page.length; i++) {
            expect(compareStreamIds(parseEventId(page[i - 1].id).streamId, parseEventId(page[i].id).streamId)).toBe(-1);
          }
        }
        expect(new Set(seen.map((e) => e.id)).size).toBe(250);
      });

      it('scans one partition, or a stored-time range, reading only what is inside the bounds', async () => {
        const t = await topic({ partitions: 2 });
        const a = await storage.append(
          t,
          Array.from({ length: 10 }, (_, i) => ev(`a${i}`, `k${i}`)),
        );
        await nextMillisecond(a.ids[a.ids.length - 1]);
        const b = await storage.append(
          t,
          Array.from({ length: 10 }, (_, i) => ev(`b${i}`, `k${i}`)),
        );
        const bFrom = Math.min(...b.ids.map(storedTime));
        const fromB = (await collect(t, { fromTime: bFrom, pageSize: 3 })).flat();
        expect(fromB.map((e) => e.value).sort()).toEqual(b.ids.map((_, i) => `b${i}`).sort());
        const upToA = (await collect(t, { toTime: bFrom - 1, pageSize: 3 })).flat();
        expect(upToA.map((e) => e.value).sort()).toEqual(a.ids.map((_, i) => `a${i}`).sort());
        const one = (await collect(t, { partition: 1, pageSize: 4 })).flat();
        expect(one.every((e) => e.partition === 1)).toBe(true);
        expect(one).toEqual(await storage.read(t, { partition: 1 }));
      });

      it('yields no page for an empty topic and refuses an unknown one', async () => {
        const t = await topic({ partitions: 2 });
        expect(await collect(t)).toEqual([]);
        await expect(collect('no-such-topic')).rejects.toMatchObject({ code: 'E_TOPIC_UNKNOWN' });
      });
    });

    describe('checkpoints and idempotency', () => {
      it('stores a source checkpoint together with the events it covers', async () => {
        const t = await topic({ partitions: 2 });
        await storage.append(t, [ev(1), ev(2)], {
          checkpoint: { source: 'ftp-in', value: { file: 'a.csv', line: 2 } },
        });
        expect(await storage.getCheckpoint(t, 'ftp-in')).toEqual({ file: 'a.csv', line: 2 });
        await storage.append(t, [ev(3)], { checkpoint: { source: 'ftp-in', value: { file: 'a.csv', line: 3 } } });
        expect(await storage.getCheckpoint(t, 'ftp-in')).toEqual({ file: 'a.csv', line: 3 });
        expect((await storage.topicInfo(t)).length).toBe(3);
      });

      it('stores a checkpoint with no events (a poll that found nothing new)', async () => {
        const t = await topic();
        await storage.append(t, [], { checkpoint: { source: 'sql-in', value: 17 } });
        expect(await storage.getCheckpoint(t, 'sql-in')).toBe(17);
      });

      it('stores a conditional checkpoint only while the stored one is the expected one', async () => {
        const t = await topic({ partitions: 2 });
        const at = (value: unknown) => ({ value });
        // Two pollers began at "no checkpoint yet": the first to append wins, the second stores nothing.
        const first = await storage.append(t, [ev(1), ev(2)], {
          checkpoint: { source: 'poll', value: { offset: 2, files: ['a', 'b'] }, ifStillAt: at(undefined) },
        });
        expect(first.checkpointMoved).toBeFalsy();
        const late = await storage.append(t, [ev(1), ev(2)], {
          checkpoint: { source: 'poll', value: { offset: 2, files: ['a', 'b'] }, ifStillAt: at(undefined) },
        });
        expect(late).toEqual({ ids: [], duplicate: false, checkpointMoved: true });
        expect((await storage.topicInfo(t)).length).toBe(2);
        // The next poll expects the checkpoint as read back; one that began earlier finds it moved.
        const read = await storage.getCheckpoint(t, 'poll');
        const next = await storage.append(t, [ev(3)], {
          checkpoint: { source: 'poll', value: 3, ifStillAt: at(read) },
        });
        expect(next.ids).toHaveLength(1);
        const stale = await storage.append(t, [ev(3)], {
          checkpoint: { source: 'poll', value: 3, ifStillAt: at(read) },
        });
        expect(stale.checkpointMoved).toBe(true);
        // A checkpoint set outside an append (`sluice offsets`) moves it too.
        await storage.setCheckpoint(t, 'poll', 0);
        const afterReset = await storage.append(t, [], { checkpoint: { source: 'poll', value: 4, ifStillAt: at(3) } });
        expect(afterReset.checkpointMoved).toBe(true);
        expect(await storage.getCheckpoint(t, 'poll')).toBe(0);
        expect((await storage.topicInfo(t)).length).toBe(3);
      });

      it('sets, lists and clears checkpoints outside an append', async () => {
        const t = await topic();
        expect(await storage.getCheckpoint(t, 'b')).toBeUndefined();
        await storage.setCheckpoint(t, 'b', 'cursor-2');
        await storage.setCheckpoint(t, 'a', [1, { x: null }]);
        expect(await storage.listCheckpoints(t)).toEqual([
          { source: 'a', value: [1, { x: null }] },
          { source: 'b', value: 'cursor-2' },
        ]);
        await storage.setCheckpoint(t, 'b', undefined);
        expect(await storage.getCheckpoint(t, 'b')).toBeUndefined();
        expect(await storage.listCheckpoints(t)).toEqual([{ source: 'a', value: [1, { x: null }] }]);
      });

      it('stores an append once per idempotency key and returns the first ids on a repeat', async () => {
        const t = await topic({ partitions: 3 });
        const batch = [ev('a', 'x'), ev('b'), ev('c', 'y')];
        const first = await storage.append(t, batch, {
          idempotencyKey: 'req-1',
          checkpoint: { source: 'http', value: 1 },
        });
        expect(first.duplicate).toBe(false);
        const again = await storage.append(t, batch, {
          idempotencyKey: 'req-1',
          checkpoint: { source: 'http', value: 2 },
        });
        expect(again).toEqual({ ids: first.ids, duplicate: true });
        expect((await storage.read(t, {})).map((e) => e.value).sort()).toEqual(['a', 'b', 'c']);
        // A repeat stores nothing, its checkpoint included.
        expect(await storage.getCheckpoint(t, 'http')).toBe(1);
        const other = await storage.append(t, batch, { idempotencyKey: 'req-2' });
        expect(other.duplicate).toBe(false);
        expect((await storage.topicInfo(t)).length).toBe(6);
      });

      it('forgets an idempotency key after its window', async () => {
        const t = await topic();
        const first = await storage.append(t, [ev(1)], { idempotencyKey: 'k', idempotencyTtlMs: 60 });
        expect((await storage.append(t, [ev(1)], { idempotencyKey: 'k', idempotencyTtlMs: 60 })).duplicate).toBe(true);
        await sleep(120);
        const later = await storage.append(t, [ev(1)], { idempotencyKey: 'k', idempotencyTtlMs: 60 });
        expect(later.duplicate).toBe(false);
        expect(later.ids).not.toEqual(first.ids);
      });

      it('keeps idempotency keys per topic', async () => {
        const t1 = await topic();
        const t2 = await topic();
        await storage.append(t1, [ev(1)], { idempotencyKey: 'same' });
        expect((await storage.append(t2, [ev(1)], { idempotencyKey: 'same' })).duplicate).toBe(false);
      });
    });

    describe('retention', () => {
      it('keeps the newest maxEvents per partition when nobody subscribes', async () => {
        const t = await topic({ partitions: 2, retention: { maxEvents: 3 } });
        await storage.append(t, [
          ...Array.from({ length: 10 }, (_, i) => ev(`a${i}`, 'a')),
          ...Array.from({ length: 2 }, (_, i) => ev(`b${i}`, 'b')),
        ]);
        expect(await storage.trim(t)).toEqual({ trimmed: 7, lost: 0 });
        const pa = partitionFor('a', 2);
        const pb = partitionFor('b', 2);
        if (pa !== pb) {
          expect(values(await storage.read(t, { partition: pa }))).toEqual(['a7', 'a8', 'a9']);
          expect(values(await storage.read(t, { partition: pb }))).toEqual(['b0', 'b1']);
        }
        expect((await storage.topicInfo(t)).length).toBe(pa === pb ? 3 : 5);
        expect(await storage.trim(t)).toEqual({ trimmed: 0, lost: 0 });
      });

      it('drops events by their stored age, not their event time', async () => {
        const t = await topic({ retention: { maxAgeMs: 150 } });
        await storage.append(t, [ev('old-1'), ev('old-2')]);
        await sleep(250);
        await storage.append(t, [ev('fresh', null, 0)]);
        expect(await storage.trim(t)).toEqual({ trimmed: 2, lost: 0 });
        expect(values(await storage.read(t, {}))).toEqual(['fresh']);
      });

      it('does nothing for a topic without retention', async () => {
        const t = await topic();
        await storage.append(t, [ev(1), ev(2)]);
        expect(await storage.trim(t)).toEqual({ trimmed: 0, lost: 0 });
      });

      it('never drops events a subscription has not acknowledged', async () => {
        const t = await topic({ retention: { maxEvents: 3 } });
        await storage.ensureSubscription(t, 'slow', 'beginning');
        const { ids } = await storage.append(
          t,
          Array.from({ length: 10 }, (_, i) => ev(i)),
        );
        expect(await storage.trim(t)).toEqual({ trimmed: 0, lost: 0 });

        const claimed = await storage.claim(t, 'slow', 0, { count: 5, consumer: 'w1' });
        expect(values(claimed)).toEqual([0, 1, 2, 3, 4]);
        // Handed out but not acknowledged: still protected.
        expect(await storage.trim(t)).toEqual({ trimmed: 0, lost: 0 });
        await storage.ack(t, 'slow', 0, ids.slice(0, 2));
        expect(await storage.trim(t)).toEqual({ trimmed: 2, lost: 0 });
        await storage.ack(t, 'slow', 0, ids.slice(2, 5));
        expect(await storage.trim(t)).toEqual({ trimmed: 3, lost: 0 });
        expect(values(await storage.read(t, {}))).toEqual([5, 6, 7, 8, 9]);

        const rest = await storage.claim(t, 'slow', 0, { count: 10, consumer: 'w1' });
        await storage.ack(
          t,
          'slow',
          0,
          rest.map((e) => e.id),
        );
        expect(await storage.trim(t)).toEqual({ trimmed: 2, lost: 0 });
        expect(values(await storage.read(t, {}))).toEqual([7, 8, 9]);
        expect((await storage.topicInfo(t)).lost).toBe(0);
      });

      it('waits for the slowest of several subscriptions', async () => {
        const t = await topic({ retention: { maxEvents: 1 } });
        await storage.ensureSubscription(t, 'fast', 'beginning');
        await storage.ensureSubscription(t, 'slow', 'beginning');
        await storage.append(
          t,
          Array.from({ length: 4 }, (_, i) => ev(i)),
        );
        const fast = await storage.claim(t, 'fast', 0, { count: 10, consumer: 'w' });
        await storage.ack(
          t,
          'fast',
          0,
          fast.map((e) => e.id),
        );
        const slow = await storage.claim(t, 'slow', 0, { count: 1, consumer: 'w' });
        await storage.ack(t, 'slow', 0, [slow[0].id]);
        expect(await storage.trim(t)).toEqual({ trimmed: 1, lost: 0 });
        expect(values(await storage.read(t, {}))).toEqual([1, 2, 3]);
      });

      it('with allowLoss, drops unacknowledged events and counts each of them once as lost', async () => {
        const t = await topic({ retention: { maxEvents: 3, allowLoss: true } });
        await storage.ensureSubscription(t, 'done', 'beginning');
        await storage.ensureSubscription(t, 'behind', 'beginning');
        const { ids } = await storage.append(
          t,
          Array.from({ length: 10 }, (_, i) => ev(i)),
        );
        const done = await storage.claim(t, 'done', 0, { count: 10, consumer: 'w' });
        await storage.ack(
          t,
          'done',
          0,
          done.map((e) => e.id),
        );
        // 'behind' acknowledged 0 and 1, holds 2..4 pending and never saw 5..9.
        await storage.claim(t, 'behind', 0, { count: 5, consumer: 'w' });
        await storage.ack(t, 'behind', 0, ids.slice(0, 2));

        expect(await storage.trim(t)).toEqual({ trimmed: 7, lost: 5 });
        expect((await storage.topicInfo(t)).lost).toBe(5);
        // Lost events are no longer pending; the subscription goes on with what is left.
        expect(await storage.pending(t, 'behind', 0, 10)).toEqual([]);
        const [position] = await storage.positions(t, 'behind');
        expect(position.pending).toBe(0);
        expect(position.lag).toBe(3);
        expect(values(await storage.claim(t, 'behind', 0, { count: 10, consumer: 'w' }))).toEqual([7, 8, 9]);
      });

      it('with allowLoss and no subscription, nothing counts as lost', async () => {
        const t = await topic({ retention: { maxEvents: 2, allowLoss: true } });
        await storage.append(
          t,
          Array.from({ length: 5 }, (_, i) => ev(i)),
        );
        expect(await storage.trim(t)).toEqual({ trimmed: 3, lost: 0 });
      });

      it('applies a retention changed by ensureTopic', async () => {
        const t = await topic();
        await storage.append(
          t,
          Array.from({ length: 5 }, (_, i) => ev(i)),
        );
        await storage.ensureTopic({ name: t, partitions: 1, retention: { maxEvents: 1 } });
        expect(await storage.trim(t)).toEqual({ trimmed: 4, lost: 0 });
      });
    });

    describe('subscriptions', () => {
      it('starts at the beginning or at the end of the topic', async () => {
        const t = await topic();
        await storage.append(t, [ev('before')]);
        await storage.ensureSubscription(t, 'from-start', 'beginning');
        await storage.ensureSubscription(t, 'from-now', 'end');
        await storage.append(t, [ev('after')]);
        expect(values(await storage.claim(t, 'from-start', 0, { count: 10, consumer: 'w' }))).toEqual([
          'before',
          'after',
        ]);
        expect(values(await storage.claim(t, 'from-now', 0, { count: 10, consumer: 'w' }))).toEqual(['after']);
      });

      it('keeps the position of an existing subscription when ensured again', async () => {
        const t = await topic();
        await storage.ensureSubscription(t, 's', 'beginning');
        await storage.append(
          t,
          Array.from({ length: 4 }, (_, i) => ev(i)),
        );
        await storage.claim(t, 's', 0, { count: 2, consumer: 'w' });
        await storage.ensureSubscription(t, 's', 'beginning');
        await storage.ensureSubscription(t, 's', 'end');
        expect(values(await storage.claim(t, 's', 0, { count: 10, consumer: 'w' }))).toEqual([2, 3]);
      });

      it('lists subscriptions and deletes them', async () => {
        const t = await topic({ partitions: 2 });
        await storage.ensureSubscription(t, 'warehouse', 'beginning');
        await storage.ensureSubscription(t, 'alerts', 'end');
        expect(await storage.listSubscriptions(t)).toEqual(['alerts', 'warehouse']);
        expect((await storage.topicInfo(t)).subscriptions).toEqual(['alerts', 'warehouse']);
        await storage.deleteSubscription(t, 'alerts');
        expect(await storage.listSubscriptions(t)).toEqual(['warehouse']);
        await expect(storage.claim(t, 'alerts', 0, { count: 1, consumer: 'w' })).rejects.toMatchObject({
          code: 'E_SUBSCRIPTION_UNKNOWN',
        });
      });

      it('starts over when a deleted subscription is created again', async () => {
        const t = await topic();
        await storage.ensureSubscription(t, 's', 'beginning');
        await storage.append(t, [ev(1), ev(2)]);
        await storage.claim(t, 's', 0, { count: 10, consumer: 'w' });
        await storage.deleteSubscription(t, 's');
        await storage.ensureSubscription(t, 's', 'beginning');
        expect(values(await storage.claim(t, 's', 0, { count: 10, consumer: 'w' }))).toEqual([1, 2]);
        expect((await storage.positions(t, 's'))[0].pending).toBe(2);
      });

      it('refuses to claim for an unknown subscription or a partition the topic does not have', async () => {
        const t = await topic({ partitions: 2 });
        await expect(storage.claim(t, 'nobody', 0, { count: 1, consumer: 'w' })).rejects.toMatchObject({
          code: 'E_SUBSCRIPTION_UNKNOWN',
        });
        await storage.ensureSubscription(t, 's', 'beginning');
        await expect(storage.claim(t, 's', 2, { count: 1, consumer: 'w' })).rejects.toMatchObject({
          kind: 'config',
        });
      });

      it('hands out events in order, at most count at a time, each to one consumer', async () => {
        const t = await topic();
        await storage.ensureSubscription(t, 's', 'beginning');
        await storage.append(
          t,
          Array.from({ length: 7 }, (_, i) => ev(i)),
        );
        const a = await storage.claim(t, 's', 0, { count: 3, consumer: 'w1' });
        const b = await storage.claim(t, 's', 0, { count: 3, consumer: 'w2' });
        const c = await storage.claim(t, 's', 0, { count: 3, consumer: 'w1' });
        expect([values(a), values(b), values(c)]).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
        expect(await storage.claim(t, 's', 0, { count: 3, consumer: 'w1' })).toEqual([]);
        for (const e of [...a, ...b, ...c]) expect(e.partition).toBe(0);
      });

      it('delivers whole events to a claim, bytes included', async () => {
        const t = await topic({ partitions: 2 });
        await storage.ensureSubscription(t, 's', 'beginning');
        const sent = createEvent({ key: 'k', value: new Uint8Array([1, 2, 3]), ts: 99, headers: { a: 'b' } });
        const { ids } = await storage.append(t, [sent]);
        const p = parseEventId(ids[0]).partition;
        const [claimed] = await storage.claim(t, 's', p, { count: 1, consumer: 'w' });
        expect(claimed.id).toBe(ids[0]);
        expect(claimed.partition).toBe(p);
        expectSameEvent(claimed, sent);
      });

      it('keeps claimed events pending until they are acknowledged, oldest first', async () => {
        const t = await topic();
        await storage.ensureSubscription(t, 's', 'beginning');
        const { ids } = await storage.append(t, [ev('a'), ev(new Uint8Array([7])), ev('c')]);
        await storage.claim(t, 's', 0, { count: 3, consumer: 'w' });
        const pending = await storage.pending(t, 's', 0, 10);
        expect(pending.map((e) => e.id)).toEqual(ids);
        expectSameEvent(pending[1], ev(new Uint8Array([7])));
        expect((await storage.pending(t, 's', 0, 2)).map((e) => e.id)).toEqual(ids.slice(0, 2));
        await storage.ack(t, 's', 0, [ids[1]]);
        expect((await storage.pending(t, 's', 0, 10)).map((e) => e.id)).toEqual([ids[0], ids[2]]);
        // Acknowledging twice, or an id never handed out, changes nothing.
        await storage.ack(t, 's', 0, [ids[1]]);
        await storage.ack(t, 's', 0, []);
        await storage.ack(t, 's', 0, [ids[0], ids[2]]);
        expect(await storage.pending(t, 's', 0, 10)).toEqual([]);
        // Pending events are not handed out again by claim.
        expect(await storage.claim(t, 's', 0, { count: 3, consumer: 'w' })).toEqual([]);
      });

      it('tells which consumer each pending event was handed to', async () => {
        const t = await topic();
        await storage.ensureSubscription(t, 's', 'beginning');
        await storage.append(t, [ev('a'), ev('b'), ev('c')]);
        await storage.claim(t, 's', 0, { count: 2, consumer: 'w/0' });
        await storage.claim(t, 's', 0, { count: 2, consumer: 'w/1' });
        const pending = await storage.pending(t, 's', 0, 10);
        expect(pending.map((e) => [e.value, e.consumer])).toEqual([
          ['a', 'w/0'],
          ['b', 'w/0'],
          ['c', 'w/1'],
        ]);
      });

      it('refuses to acknowledge ids of another partition', async () => {
        const t = await topic({ partitions: 2 });
        await storage.ensureSubscription(t, 's', 'beginning');
        const { ids } = await storage.append(t, [ev(1, 'k')]);
        const p = parseEventId(ids[0]).partition;
        await expect(storage.ack(t, 's', 1 - p, ids)).rejects.toMatchObject({ kind: 'config' });
      });

      it('keeps two subscriptions independent', async () => {
        const t = await topic();
        await storage.ensureSubscription(t, 'one', 'beginning');
        await storage.ensureSubscription(t, 'two', 'beginning');
        await storage.append(t, [ev(1), ev(2)]);
        const one = await storage.claim(t, 'one', 0, { count: 10, consumer: 'w' });
        await storage.ack(
          t,
          'one',
          0,
          one.map((e) => e.id),
        );
        expect(values(await storage.claim(t, 'two', 0, { count: 1, consumer: 'w' }))).toEqual([1]);
        expect((await storage.positions(t, 'one'))[0]).toMatchObject({ pending: 0, lag: 0 });
        expect((await storage.positions(t, 'two'))[0]).toMatchObject({ pending: 1, lag: 1 });
      });

      it('waits for events with blockMs and wakes as soon as one is appended', async () => {
        const t = await topic({ partitions: 2 });
        await storage.ensureSubscription(t, 's', 'end');
        const p = partitionFor('wake', 2);
        const started = Date.now();
        const claiming = storage.claim(t, 's', p, { count: 10, blockMs: 5000, consumer: 'w' });
        await sleep(100);
        await storage.append(t, [ev('now', 'wake')]);
        const claimed = await claiming;
        expect(values(claimed)).toEqual(['now']);
        expect(Date.now() - started).toBeLessThan(2000);
      });

      it('returns nothing after blockMs when no event arrives', async () => {
        const t = await topic();
        await storage.ensureSubscription(t, 's', 'end');
        const started = Date.now();
        expect(await storage.claim(t, 's', 0, { count: 10, blockMs: 200, consumer: 'w' })).toEqual([]);
        const waited = Date.now() - started;
        expect(waited).toBeGreaterThanOrEqual(180);
        expect(waited).toBeLessThan(2000);
      });

      it('keeps serving other calls while a claim is waiting', async () => {
        const waiting = await topic();
        const busy = await topic();
        await storage.ensureSubscription(waiting, 's', 'end');
        const claiming = storage.claim(waiting, 's', 0, { count: 1, blockMs: 3000, consumer: 'w' });
        await sleep(50);
        const started = Date.now();
        await storage.append(busy, [ev(1)]);
        expect(values(await storage.read(busy, {}))).toEqual([1]);
        expect(Date.now() - started).toBeLessThan(1000);
        await storage.append(waiting, [ev('release')]);
        expect(values(await claiming)).toEqual(['release']);
      });

      it('ends waiting claims with no events when closed', async () => {
        const t = await topic();
        await storage.ensureSubscription(t, 's', 'end');
        const claiming = storage.claim(t, 's', 0, { count: 1, blockMs: 10_000, consumer: 'w' });
        await sleep(50);
        const started = Date.now();
        await storage.close();
        expect(await claiming).toEqual([]);
        expect(Date.now() - started).toBeLessThan(2000);
      });
    });

    describe('positions and seek', () => {
      it('reports last delivered id, pending and lag per partition', async () => {
        const t = await topic({ partitions: 2 });
        await storage.ensureSubscription(t, 's', 'beginning');
        const p = partitionFor('k', 2);
        const { ids } = await storage.append(
          t,
          Array.from({ length: 10 }, (_, i) => ev(i, 'k')),
        );
        const position = async () => (await storage.positions(t, 's')).find((x) => x.partition === p)!;
        expect((await storage.positions(t, 's')).map((x) => x.partition)).toEqual([0, 1]);
        expect(await position()).toEqual({ partition: p, lastDeliveredId: null, pending: 0, lag: 10 });
        await storage.claim(t, 's', p, { count: 4, consumer: 'w' });
        expect(await position()).toEqual({ partition: p, lastDeliveredId: ids[3], pending: 4, lag: 6 });
        await storage.ack(t, 's', p, ids.slice(0, 3));
        expect(await position()).toEqual({ partition: p, lastDeliveredId: ids[3], pending: 1, lag: 6 });
        expect((await storage.positions(t, 's')).find((x) => x.partition !== p)).toEqual({
          partition: 1 - p,
          lastDeliveredId: null,
          pending: 0,
          lag: 0,
        });
      });

      it('places a subscription created at the end after the last stored event', async () => {
        const t = await topic();
        const { ids } = await storage.append(t, [ev(1), ev(2)]);
        await storage.ensureSubscription(t, 's', 'end');
        expect(await storage.positions(t, 's')).toEqual([
          { partition: 0, lastDeliveredId: ids[1], pending: 0, lag: 0 },
        ]);
      });

      it('replays from the beginning and drops what was pending', async () => {
        const t = await topic({ partitions: 2 });
        await storage.ensureSubscription(t, 's', 'beginning');
        await storage.append(
          t,
          Array.from({ length: 6 }, (_, i) => ev(i, `k${i}`)),
        );
        for (const p of [0, 1]) {
          const got = await storage.claim(t, 's', p, { count: 10, consumer: 'w' });
          await storage.ack(
            t,
            's',
            p,
            got.slice(1).map((e) => e.id),
          );
        }
        await storage.seek(t, 's', { to: 'beginning' });
        const positions = await storage.positions(t, 's');
        expect(positions.map((x) => x.pending)).toEqual([0, 0]);
        expect(positions.map((x) => x.lastDeliveredId)).toEqual([null, null]);
        expect(positions.reduce((n, x) => n + x.lag, 0)).toBe(6);
        const again = [
          ...(await storage.claim(t, 's', 0, { count: 10, consumer: 'w' })),
          ...(await storage.claim(t, 's', 1, { count: 10, consumer: 'w' })),
        ];
        expect(values(again).sort()).toEqual([0, 1, 2, 3, 4, 5]);
      });

      it('skips to the end', async () => {
        const t = await topic();
        await storage.ensureSubscription(t, 's', 'beginning');
        const { ids } = await storage.append(t, [ev(1), ev(2), ev(3)]);
        await storage.claim(t, 's', 0, { count: 1, consumer: 'w' });
        await storage.seek(t, 's', { to: 'end' });
        expect(await storage.positions(t, 's')).toEqual([
          { partition: 0, lastDeliveredId: ids[2], pending: 0, lag: 0 },
        ]);
        expect(await storage.claim(t, 's', 0, { count: 10, consumer: 'w' })).toEqual([]);
        await storage.append(t, [ev(4)]);
        expect(values(await storage.claim(t, 's', 0, { count: 10, consumer: 'w' }))).toEqual([4]);
      });

      it('replays from a point in time on every partition', async () => {
        const t = await topic({ partitions: 2 });
        await storage.ensureSubscription(t, 's', 'beginning');
        const early = await storage.append(t, [ev('e0', 'x'), ev('e1', 'y'), ev('e2', 'z')]);
        await nextMillisecond(early.ids[2]);
        const late = await storage.append(t, [ev('l0', 'x'), ev('l1', 'y'), ev('l2', 'z')]);
        for (const p of [0, 1]) await storage.claim(t, 's', p, { count: 10, consumer: 'w' });
        await storage.seek(t, 's', { to: 'time', time: Math.min(...late.ids.map(storedTime)) });
        const positions = await storage.positions(t, 's');
        expect(positions.map((x) => x.pending)).toEqual([0, 0]);
        expect(positions.reduce((n, x) => n + x.lag, 0)).toBe(3);
        const replayed = [
          ...(await storage.claim(t, 's', 0, { count: 10, consumer: 'w' })),
          ...(await storage.claim(t, 's', 1, { count: 10, consumer: 'w' })),
        ];
        expect(values(replayed).sort()).toEqual(['l0', 'l1', 'l2']);
      });

      it('replays a partition after a given event id, leaving other partitions where they are', async () => {
        const t = await topic({ partitions: 2 });
        await storage.ensureSubscription(t, 's', 'beginning');
        const pa = partitionFor('a', 2);
        const other = 1 - pa;
        const otherKey = ['b', 'c', 'd', 'e', 'f'].find((k) => partitionFor(k, 2) === other)!;
        const a = await storage.append(
          t,
          Array.from({ length: 5 }, (_, i) => ev(i, 'a')),
        );
        await storage.append(t, [ev('o1', otherKey), ev('o2', otherKey)]);
        await storage.claim(t, 's', pa, { count: 10, consumer: 'w' });
        const o = await storage.claim(t, 's', other, { count: 1, consumer: 'w' });
        await storage.seek(t, 's', { to: 'offset', id: a.ids[1] });
        expect(values(await storage.claim(t, 's', pa, { count: 10, consumer: 'w' }))).toEqual([2, 3, 4]);
        const otherPosition = (await storage.positions(t, 's')).find((x) => x.partition === other)!;
        expect(otherPosition).toEqual({ partition: other, lastDeliveredId: o[0].id, pending: 1, lag: 1 });
      });

      it('refuses to seek a subscription that does not exist', async () => {
        const t = await topic();
        await expect(storage.seek(t, 'ghost', { to: 'beginning' })).rejects.toMatchObject({
          code: 'E_SUBSCRIPTION_UNKNOWN',
        });
        await expect(storage.positions(t, 'ghost')).rejects.toMatchObject({ code: 'E_SUBSCRIPTION_UNKNOWN' });
      });
    });

    describe('topic info', () => {
      it('describes an empty topic', async () => {
        const t = await topic({ partitions: 3 });
        const info = await storage.topicInfo(t);
        expect(info).toMatchObject({
          name: t,
          partitions: 3,
          length: 0,
          oldestTime: null,
          newestTime: null,
          lost: 0,
          subscriptions: [],
        });
      });

      it('reports length, oldest and newest stored time, subscriptions and size', async () => {
        const t = await topic({ partitions: 2 });
        const first = await storage.append(t, [ev(1, 'a'), ev(2, 'b')]);
        await nextMillisecond(first.ids[1]);
        const second = await storage.append(t, [ev(3, 'c'), ev(4, 'a'), ev(5, null)]);
        await storage.ensureSubscription(t, 'sink', 'end');
        const info = await storage.topicInfo(t);
        expect(info.length).toBe(5);
        expect(info.oldestTime).toBe(Math.min(...first.ids.map(storedTime)));
        expect(info.newestTime).toBe(Math.max(...second.ids.map(storedTime)));
        expect(info.subscriptions).toEqual(['sink']);
        expect(info.lost).toBe(0);
        if (info.memoryBytes !== undefined) expect(info.memoryBytes).toBeGreaterThan(0);
      });
    });

    describe('state', () => {
      it('gets, sets and deletes values per scope', async () => {
        const a = storage.state('scope-a');
        const b = storage.state('scope-b');
        expect(await a.get('x')).toBeUndefined();
        await a.set('x', '1');
        await b.set('x', '2');
        expect(await a.get('x')).toBe('1');
        expect(await b.get('x')).toBe('2');
        await a.set('x', 'one');
        expect(await a.get('x')).toBe('one');
        await a.delete('x');
        expect(await a.get('x')).toBeUndefined();
        expect(await b.get('x')).toBe('2');
        await a.delete('never-set');
      });

      it('sets a value only when absent', async () => {
        const s = storage.state('dedupe');
        expect(await s.setIfAbsent('id-1', 'seen')).toBe(true);
        expect(await s.setIfAbsent('id-1', 'again')).toBe(false);
        expect(await s.get('id-1')).toBe('seen');
      });

      it('forgets values after their time to live', async () => {
        const s = storage.state('ttl');
        await s.set('short', 'v', 60);
        await s.set('long', 'v', 60_000);
        expect(await s.setIfAbsent('window', 'v', 60)).toBe(true);
        expect(await s.get('short')).toBe('v');
        await sleep(120);
        expect(await s.get('short')).toBeUndefined();
        expect(await s.get('long')).toBe('v');
        expect(await s.setIfAbsent('window', 'v2', 60)).toBe(true);
        expect(await s.get('window')).toBe('v2');
        // Setting again without a ttl keeps the value for good.
        await s.set('short', 'forever');
        await sleep(80);
        expect(await s.get('short')).toBe('forever');
      });
    });
  });
}
