// Scenario 3, end to end: a load client POSTs events to an HTTP ingest, they are stored in Redis, a worker
// process does the processor work on them and delivers them to an HTTP receiver. The work is json → gzip level 1
// → AES-256-GCM on each event, or once per batch (the batch as NDJSON, gzipped and encrypted once, POSTed as
// bytes and opened by the receiver), or none (the transport alone). Sluice against the raw hand-written pipeline
// and the naive one-BullMQ-job-per-event pipeline, with 200-byte and 1 KB events. Throughput is events delivered
// over the time from the first send to the last arrival. One more run per variant puts a counting proxy between
// the worker and Redis: the Redis round trips and commands per delivered batch.

import { skipReason } from '../harness/availability.js';
import { deleteKeys, REDIS_URL } from '../harness/bench-redis.js';
import { sendLoad, warmupEvents } from '../harness/load.js';
import { type Receiver, startReceiver } from '../harness/receiver-client.js';
import { type RoundTripCounts, startRoundTripProxy } from '../harness/round-trip-proxy.js';
import {
  addMeasurements,
  type Measurement,
  type RunContext,
  ratioOf,
  repeat,
  type Scenario,
  type ScenarioResult,
  withTarget,
} from '../harness/scenario.js';
import { describeSetup, type SetupKind, startSetup, type Work } from '../harness/setups.js';

/** One load of the scenario: an event size and where the processor work happens. */
interface Case {
  label: string;
  bytes: number;
  work: Work;
  /** Ratio targets apply (the transport-alone case has none: it says what the targets are up against). */
  hasTargets: boolean;
}

const sizeLabel = (bytes: number) => (bytes >= 1024 ? '1 KB' : `${bytes} B`);
const caseOf = (bytes: number, work: Work): Case => ({
  label: `${sizeLabel(bytes)} ${{ event: 'per event', batch: 'per batch', none: 'no processors' }[work]}`,
  bytes,
  work,
  hasTargets: work !== 'none',
});

const CASES: Case[] = [
  caseOf(200, 'event'),
  caseOf(1024, 'event'),
  caseOf(200, 'batch'),
  caseOf(1024, 'batch'),
  caseOf(200, 'none'),
];

// The naive pipeline is one job per event whatever the work: per-batch cases compare with its per-event run.
const kindsOf = (c: Case): SetupKind[] => (c.work === 'batch' ? ['sluice', 'raw'] : ['sluice', 'raw', 'naive']);
const variantName = (kind: SetupKind, c: Case) =>
  kind === 'naive' && c.work === 'batch' ? `naive ${caseOf(c.bytes, 'event').label}` : `${kind} ${c.label}`;

/** Events per run: the naive pipeline is measured on fewer, so that it finishes in the time budget. */
function eventsFor(kind: SetupKind, bytes: number, smoke: boolean): number {
  if (smoke) return kind === 'naive' ? 300 : 1_000;
  const base = bytes >= 1024 ? 30_000 : 50_000;
  return kind === 'naive' ? base / 10 : base;
}

interface Run {
  ctx: RunContext;
  receiver: Receiver;
  kind: SetupKind;
  c: Case;
  /** Names the run's files and processes: the repetition, or `counted`. */
  label: string;
  /** The worker's Redis URL (a counting proxy). */
  workerRedisUrl?: string;
  /** Called when the measured load starts and once it has arrived. */
  onMeasured?: () => void;
}

async function runOnce(r: Run): Promise<Measurement> {
  const { ctx, receiver, kind, c } = r;
  const name = `e2e${c.bytes}${c.work}-${kind}-${r.label}`;
  const prefix = `${ctx.prefix}-${name}`;
  const events = eventsFor(kind, c.bytes, ctx.smoke);
  const maxMs = ctx.smoke ? 20_000 : 60_000;
  const setup = await startSetup(kind, ctx, { name, prefix, receiver, work: c.work, workerRedisUrl: r.workerRedisUrl });
  try {
    const load = { url: setup.ingestUrl, valueBytes: c.bytes, perRequest: 100, concurrency: 8, maxMs };
    const warm = Math.min(warmupEvents(ctx.smoke), events);
    await sendLoad(`${name}-warm-up`, { ...load, events: warm });
    await receiver.waitFor(warm, maxMs);
    await receiver.reset();
    r.onMeasured?.();
    const cpuBefore = setup.cpuSeconds();
    const receiverCpuBefore = receiver.child.cpuSeconds();
    const redisCpuBefore = ctx.redisCpuSeconds();
    const sent = await sendLoad(`${name}-client`, { ...load, events });
    const got = await receiver.waitFor(sent.accepted, Math.max(5_000, sent.startedAt + maxMs - Date.now()));
    r.onMeasured?.();
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
      eventsPerBatch: got.count / Math.max(1, got.requests),
      clientCpuShare: sent.cpuSeconds / Math.max(0.001, (sent.endedAt - sent.startedAt) / 1000),
      receiverCpuShare: (receiver.child.cpuSeconds() - receiverCpuBefore) / seconds,
      missing: Math.max(0, events - got.count),
    };
  } finally {
    await setup.stop();
    await deleteKeys(ctx.redis, prefix);
  }
}

/** One run with the worker's Redis connections through a counting proxy: round trips and commands per batch. */
async function countOnce(
  ctx: RunContext,
  receiver: Receiver,
  kind: SetupKind,
  c: Case,
): Promise<{ measured: Partial<Measurement>; counts: RoundTripCounts; batches: number }> {
  const proxy = await startRoundTripProxy(REDIS_URL);
  try {
    // Taken when the measured load starts (the warm-up's counts are dropped) and once it has arrived.
    let counts = proxy.take();
    const m = await runOnce({
      ctx,
      receiver,
      kind,
      c,
      label: 'counted',
      workerRedisUrl: proxy.url,
      onMeasured: () => {
        counts = proxy.take();
      },
    });
    // Each POST the receiver got is one delivered batch.
    const batches = (eventsFor(kind, c.bytes, ctx.smoke) - (m.missing ?? 0)) / (m.eventsPerBatch ?? 1);
    const measured = {
      roundTripsPerBatch: counts.roundTrips / Math.max(1, batches),
      commandsPerBatch: counts.commands / Math.max(1, batches),
    };
    return { measured, counts, batches };
  } finally {
    await proxy.close();
  }
}

function describeCounts(name: string, counts: RoundTripCounts, batches: number): string {
  const top = Object.entries(counts.byName)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([command, n]) => `${command} ${(n / batches).toFixed(2)}`)
    .join(', ');
  return `${name}: per delivered batch ${(counts.roundTrips / batches).toFixed(2)} round trips (and ${(counts.idlePolls / batches).toFixed(2)} idle polls), ${(counts.commands / batches).toFixed(1)} commands (${top}) over ${Math.round(batches)} batches`;
}

export const endToEnd: Scenario = {
  name: 'end-to-end',
  title: '3. End to end: HTTP ingest → Redis → worker (json, gzip 1, AES-256-GCM per event or per batch) → HTTP sink',
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const skipped = skipReason(
      ['source:http', 'sink:http', 'processor:json', 'processor:gzip', 'processor:aes-gcm'],
      true,
    );
    if (skipped) return { ...result, skipped };
    const receiver = await startReceiver();
    try {
      // The smoke run proves the paths work; one case of each kind of work does that.
      for (const c of ctx.smoke ? CASES.filter((x) => x.bytes === 200 && x.work !== 'none') : CASES) {
        const kinds = kindsOf(c);
        // Each run warms its fresh processes with a load of its own first: no separate warm-up runs.
        const variants = await repeat(
          { ...ctx, warmups: 0 },
          kinds.map((kind) => ({
            name: variantName(kind, c),
            description: `${describeSetup(kind, true)}${{ event: '', batch: ', the work once per batch', none: ', without the processor work' }[c.work]}; ${eventsFor(kind, c.bytes, ctx.smoke)} events`,
            measure: (rep: number) =>
              runOnce({ ctx, receiver, kind, c, label: rep < 0 ? `w${-rep}` : String(rep + 1) }),
          })),
        );
        Object.assign(result.variants, variants);
        // The smoke run proves the counting works on Sluice; raw's count is a reference.
        for (const kind of ctx.smoke ? (['sluice'] as const) : (['sluice', 'raw'] as const)) {
          const name = variantName(kind, c);
          if (!variants[name]) continue;
          const counted = await countOnce(ctx, receiver, kind, c);
          addMeasurements(variants[name].metrics, [counted.measured]);
          result.notes.push(describeCounts(name, counted.counts, counted.batches));
        }
        const target = (t: { atLeast?: number; atMost?: number }) => (c.hasTargets ? t : undefined);
        const all = result.variants;
        const [sluice, raw, naive] = (['sluice', 'raw', 'naive'] as const).map((k) => variantName(k, c));
        result.ratios.push(
          ratioOf(`${c.label}: sluice / raw (events/s)`, all, sluice, raw, 'eventsPerSec', target({ atLeast: 0.8 })),
          ratioOf(`${c.label}: sluice / naive (events/s)`, all, sluice, naive, 'eventsPerSec', target({ atLeast: 10 })),
          // The ceiling of the ratio above on this machine: what the practical limit itself reaches.
          ratioOf(`${c.label}: raw / naive (events/s)`, all, raw, naive),
          withTarget(
            `${c.label}: sluice Redis round trips per batch`,
            all[sluice]?.metrics.roundTripsPerBatch?.median ?? Number.NaN,
            target({ atMost: 3 }),
          ),
        );
      }
    } finally {
      await receiver.child.stop();
    }
    result.notes.push(
      'four processes share the two cores: load client (NDJSON requests of 100 events, 8 in flight), ingest, worker, receiver',
      `each run first sends ${warmupEvents(ctx.smoke)} warm-up events and waits for their delivery; they are not counted`,
      'latency here is under full load (queueing included); scenario 5 measures it at a steady rate',
      'per batch: Sluice runs gzip with per: batch (the batch as NDJSON of events, one gzip) then aes-gcm (one message) and POSTs the bytes; raw does the same with node:zlib and node:crypto; the receiver decrypts and gunzips each body; naive is one job per event and cannot batch, so per-batch rows compare with its per-event run',
      '"no processors": the same pipelines without json/gzip/AES (no target): what the transport alone costs each',
      'client CPU, receiver CPU: CPU seconds over wall seconds of the load client and the receiver; near 100% one of them would be the bottleneck',
      'Redis RT/batch, cmds/batch: from one more run per variant with the worker connected to Redis through a counting proxy (not in the other figures); a round trip is a request sent and waited for, a pipeline or script is one, a blocking read is one; a blocking read that timed out empty is an idle poll, not counted',
    );
    return result;
  },
};
