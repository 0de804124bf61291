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

/** One load of the scenario: an event size, with the processors or the transport alone. */
interface Case {
  label: string;
  bytes: number;
  processors: boolean;
  /** Ratio targets apply (the transport-alone case has none: it says what the targets are up against). */
  hasTargets: boolean;
}

const CASES: Case[] = [
  { label: '200 B', bytes: 200, processors: true, hasTargets: true },
  { label: '1024 B', bytes: 1024, processors: true, hasTargets: true },
  { label: '200 B no processors', bytes: 200, processors: false, hasTargets: false },
];

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
  c: Case,
  rep: number,
): Promise<Measurement> {
  const name = `e2e${c.bytes}${c.processors ? '' : 'plain'}-${kind}-${rep < 0 ? `w${-rep}` : rep + 1}`;
  const prefix = `${ctx.prefix}-${name}`;
  const events = eventsFor(kind, c.bytes, ctx.smoke);
  const maxMs = ctx.smoke ? 20_000 : 60_000;
  const setup = await startSetup(kind, ctx, { name, prefix, receiverUrl: receiver.url, processors: c.processors });
  try {
    const load = { url: setup.ingestUrl, valueBytes: c.bytes, perRequest: 100, concurrency: 8, maxMs };
    const warm = Math.min(warmupEvents(ctx.smoke), events);
    await sendLoad(`${name}-warm-up`, { ...load, events: warm });
    await receiver.waitFor(warm, maxMs);
    await receiver.reset();
    const cpuBefore = setup.cpuSeconds();
    const redisCpuBefore = ctx.redisCpuSeconds();
    const sent = await sendLoad(`${name}-client`, { ...load, events });
    const got = await receiver.waitFor(sent.accepted, Math.max(5_000, sent.startedAt + maxMs - Date.now()));
    const cpuSeconds = setup.cpuSeconds() - cpuBefore;
    const redisCpuSeconds = ctx.redisCpuSeconds() - redisCpuBefore;
    const seconds = Math.max(0.001, (got.lastAt - sent.startedAt) / 1000);
    const eventsPerSec = Math.min(got.count, sent.accepted) / seconds;
    return {
      eventsPerSec,
      mbPerSec: (eventsPerSec * c.bytes) / 1e6,
      p50Ms: got.p50,
      p99Ms: got.p99,
      peakRssBytes: setup.peakRss(),
      cpuUsPerEvent: (cpuSeconds * 1e6) / Math.max(1, got.count),
      redisCpuUsPerEvent: (redisCpuSeconds * 1e6) / Math.max(1, got.count),
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
      // The smoke run proves the path works; one case does that.
      for (const c of ctx.smoke ? CASES.slice(0, 1) : CASES) {
        const kinds: SetupKind[] = ['sluice', 'raw', 'naive'];
        const name = (kind: SetupKind) => `${kind} ${c.label}`;
        // Each run warms its fresh processes with a load of its own first: no separate warm-up runs.
        const variants = await repeat(
          { ...ctx, warmups: 0 },
          kinds.map((kind) => ({
            name: name(kind),
            description: `${describeSetup(kind, true)}${c.processors ? '' : ', without the processor work'}; ${eventsFor(kind, c.bytes, ctx.smoke)} events`,
            measure: (rep: number) => measureOnce(ctx, receiver, kind, c, rep),
          })),
        );
        Object.assign(result.variants, variants);
        const target = (t: { atLeast: number }) => (c.hasTargets ? t : undefined);
        result.ratios.push(
          ratioOf(
            `${c.label}: sluice / raw (events/s)`,
            variants,
            name('sluice'),
            name('raw'),
            'eventsPerSec',
            target({ atLeast: 0.6 }),
          ),
          ratioOf(
            `${c.label}: sluice / naive (events/s)`,
            variants,
            name('sluice'),
            name('naive'),
            'eventsPerSec',
            target({ atLeast: 10 }),
          ),
          // The ceiling of the ratio above on this machine: what the practical limit itself reaches.
          ratioOf(`${c.label}: raw / naive (events/s)`, variants, name('raw'), name('naive')),
        );
      }
    } finally {
      await receiver.child.stop();
    }
    result.notes.push(
      'four processes share the two cores: load client (NDJSON requests of 100 events, 8 in flight), ingest, worker, receiver',
      `each run first sends ${warmupEvents(ctx.smoke)} warm-up events and waits for their delivery; they are not counted`,
      'latency here is under full load (queueing included); scenario 5 measures it at a steady rate',
      '"no processors": the same pipelines without json/gzip/AES (no target): what the transport alone costs each',
    );
    return result;
  },
};
