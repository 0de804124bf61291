// Scenario 3, end to end: a load client POSTs events to an HTTP ingest, they are stored in Redis, a worker
// process runs json decode → gzip level 1 → AES-256-GCM on them and delivers them to an HTTP receiver. Sluice
// against the raw hand-written pipeline and the naive one-BullMQ-job-per-event pipeline, with 200-byte and
// 1 KB events. Throughput is events delivered over the time from the first send to the last arrival.

import { skipReason } from '../harness/availability.js';
import { deleteKeys } from '../harness/bench-redis.js';
import { sendLoad, warmupEvents } from '../harness/load.js';
import { type Receiver, startReceiver } from '../harness/receiver-client.js';
import {
  type Measurement,
  type RunContext,
  ratioOf,
  repeat,
  type Scenario,
  type ScenarioResult,
} from '../harness/scenario.js';
import { describeSetup, type SetupKind, startSetup } from '../harness/setups.js';

/** Events per run: the naive pipeline is measured on fewer, so that it finishes in the time budget. */
function eventsFor(kind: SetupKind, bytes: number, smoke: boolean): number {
  if (smoke) return kind === 'naive' ? 300 : 1_000;
  const base = bytes >= 1024 ? 30_000 : 50_000;
  return kind === 'naive' ? base / 10 : base;
}

async function measureOnce(
  ctx: RunContext,
  receiver: Receiver,
  kind: SetupKind,
  bytes: number,
  rep: number,
): Promise<Measurement> {
  const name = `e2e${bytes}-${kind}-${rep < 0 ? `w${-rep}` : rep + 1}`;
  const prefix = `${ctx.prefix}-${name}`;
  const events = eventsFor(kind, bytes, ctx.smoke);
  const maxMs = ctx.smoke ? 20_000 : 60_000;
  const setup = await startSetup(kind, ctx, { name, prefix, receiverUrl: receiver.url });
  try {
    const load = { url: setup.ingestUrl, valueBytes: bytes, perRequest: 100, concurrency: 8, maxMs };
    const warm = Math.min(warmupEvents(ctx.smoke), events);
    await sendLoad(`${name}-warm-up`, { ...load, events: warm });
    await receiver.waitFor(warm, maxMs);
    await receiver.reset();
    const cpuBefore = setup.cpuSeconds();
    const sent = await sendLoad(`${name}-client`, { ...load, events });
    const got = await receiver.waitFor(sent.accepted, Math.max(5_000, sent.startedAt + maxMs - Date.now()));
    const cpuSeconds = setup.cpuSeconds() - cpuBefore;
    const seconds = Math.max(0.001, (got.lastAt - sent.startedAt) / 1000);
    const eventsPerSec = Math.min(got.count, sent.accepted) / seconds;
    return {
      eventsPerSec,
      mbPerSec: (eventsPerSec * bytes) / 1e6,
      p50Ms: got.p50,
      p99Ms: got.p99,
      peakRssBytes: setup.peakRss(),
      cpuUsPerEvent: (cpuSeconds * 1e6) / Math.max(1, got.count),
      missing: Math.max(0, events - got.count),
    };
  } finally {
    await setup.stop();
    await deleteKeys(ctx.redis, prefix);
  }
}

export const endToEnd: Scenario = {
  name: 'end-to-end',
  title: '3. End to end: HTTP ingest → Redis → worker (json, gzip 1, AES-256-GCM) → HTTP sink',
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const skipped = skipReason(
      ['source:http', 'sink:http', 'processor:json', 'processor:gzip', 'processor:aes-gcm'],
      true,
    );
    if (skipped) return { ...result, skipped };
    const receiver = await startReceiver();
    try {
      // The smoke run proves the path works; one size does that.
      for (const bytes of ctx.smoke ? [200] : [200, 1024]) {
        const kinds: SetupKind[] = ['sluice', 'raw', 'naive'];
        // Each run warms its fresh processes with a load of its own first: no separate warm-up runs.
        const variants = await repeat(
          { ...ctx, warmups: 0 },
          kinds.map((kind) => ({
            name: `${kind} ${bytes} B`,
            description: `${describeSetup(kind, true)}; ${eventsFor(kind, bytes, ctx.smoke)} events`,
            measure: (rep: number) => measureOnce(ctx, receiver, kind, bytes, rep),
          })),
        );
        Object.assign(result.variants, variants);
        result.ratios.push(
          ratioOf(
            `${bytes} B sluice / raw (events/s)`,
            variants,
            `sluice ${bytes} B`,
            `raw ${bytes} B`,
            'eventsPerSec',
            {
              atLeast: 0.6,
            },
          ),
          ratioOf(
            `${bytes} B sluice / naive (events/s)`,
            variants,
            `sluice ${bytes} B`,
            `naive ${bytes} B`,
            'eventsPerSec',
            { atLeast: 10 },
          ),
          // The ceiling of the ratio above on this machine: what the practical limit itself reaches.
          ratioOf(`${bytes} B raw / naive (events/s)`, variants, `raw ${bytes} B`, `naive ${bytes} B`),
        );
      }
    } finally {
      await receiver.child.stop();
    }
    result.notes.push(
      'four processes share the two cores: load client (NDJSON requests of 100 events, 8 in flight), ingest, worker, receiver',
      `each run first sends ${warmupEvents(ctx.smoke)} warm-up events and waits for their delivery; they are not counted`,
      'latency here is under full load (queueing included); scenario 5 measures it at a steady rate',
    );
    return result;
  },
};
