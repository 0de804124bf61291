// The systems under test of the HTTP scenarios, each as the processes a user would run: an ingest process
// behind an HTTP port and, when events are to be delivered, a worker process that sends them to the receiver.
//   sluice: `sluice worker --no-deliver` and `sluice worker --no-ingest` on one pipeline file (Redis + BullMQ)
//   raw:    a hand-written XADD ingest and XREADGROUP worker (the practical limit)
//   naive:  the same pipeline with BullMQ, one job per event (the common way)
import { REDIS_URL } from './bench-redis.js';
import { type Child, spawnScript, spawnSluice } from './child.js';
import { freePort, waitForPort } from './free-port.js';
import { redisEntry, sealingProcessors, writePipelineFile } from './pipeline-file.js';
import type { RunContext } from './scenario.js';

export type SetupKind = 'sluice' | 'raw' | 'naive';

export interface SetupOptions {
  /** Unique name of this variant and repetition: file names, labels, profiles. */
  name: string;
  /** Redis key prefix this setup writes under. */
  prefix: string;
  /** Deliver to this receiver URL; absent: ingest only. */
  receiverUrl?: string;
  /** Run json → gzip 1 → AES-256-GCM on the way to the receiver (default true); false: the transport alone. */
  processors?: boolean;
}

export interface Setup {
  ingestUrl: string;
  processes: Child[];
  /** Sum of the peak resident memory of the setup's processes, bytes. */
  peakRss(): number;
  /** CPU time the setup's processes used so far, seconds. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

const DESCRIPTIONS: Record<SetupKind, { ingest: string; deliver: string }> = {
  sluice: {
    ingest: 'Sluice CLI from source: `sluice worker --no-deliver` with the http source, Redis Streams',
    deliver: 'and `sluice worker --no-ingest` delivering through BullMQ jobs to the http sink',
  },
  raw: {
    ingest: 'hand-written: node:http server, one pipelined batch of XADDs per request',
    deliver: 'and XREADGROUP batches of 500 in 4 loops, batched undici POSTs, XACK',
  },
  naive: {
    ingest: 'BullMQ, one job per event: node:http server, addBulk per request',
    deliver: 'and a Worker (concurrency 50) that POSTs each event alone',
  },
};

/** What a setup is, in the printed table. */
export function describeSetup(kind: SetupKind, delivers: boolean): string {
  const d = DESCRIPTIONS[kind];
  return delivers ? `${d.ingest}, ${d.deliver}` : d.ingest;
}

function setupOf(ingestPort: number, processes: Child[]): Setup {
  return {
    ingestUrl: `http://127.0.0.1:${ingestPort}/events`,
    processes,
    peakRss: () => processes.reduce((sum, p) => sum + p.peakRss(), 0),
    cpuSeconds: () => processes.reduce((sum, p) => sum + p.cpuSeconds(), 0),
    async stop() {
      await Promise.all(processes.map((p) => p.stop()));
    },
  };
}

async function startSluice(ctx: RunContext, o: SetupOptions): Promise<Setup> {
  const port = await freePort();
  const pipelines: Record<string, unknown> = {
    ingest: { source: { type: 'http', host: '127.0.0.1', port, path: '/events' }, topic: 'events' },
  };
  if (o.receiverUrl) {
    pipelines.deliver = {
      topic: 'events',
      processors: o.processors === false ? [] : sealingProcessors('decode'),
      sinks: [{ type: 'http', url: o.receiverUrl, body: 'event', format: 'ndjson' }],
    };
  }
  const file = writePipelineFile(ctx.tmp, o.name, { redis: redisEntry(o.prefix), pipelines });
  const spawnOptions = (role: string) => ({ label: `${o.name}-${role}`, cpuProfileDir: ctx.profileDir });
  const processes = [spawnSluice(['worker', file, '--no-deliver', '--grace', '5s'], spawnOptions('ingest'))];
  if (o.receiverUrl)
    processes.push(spawnSluice(['worker', file, '--no-ingest', '--grace', '5s'], spawnOptions('worker')));
  await Promise.all(processes.map((p) => p.ready()));
  await waitForPort(port, 10_000);
  return setupOf(port, processes);
}

async function startRaw(_ctx: RunContext, o: SetupOptions): Promise<Setup> {
  const stream = `${o.prefix}:stream`;
  const ingest = spawnScript('baselines/raw-ingest.ts', { redisUrl: REDIS_URL, stream }, { label: `${o.name}-ingest` });
  const processes = [ingest];
  if (o.receiverUrl) {
    processes.push(
      spawnScript(
        'baselines/raw-worker.ts',
        { redisUrl: REDIS_URL, stream, sinkUrl: o.receiverUrl, batch: 500, loops: 4, seal: o.processors !== false },
        { label: `${o.name}-worker` },
      ),
    );
  }
  const [{ port }] = (await Promise.all(processes.map((p) => p.ready()))) as Array<{ port: number }>;
  return setupOf(port, processes);
}

async function startNaive(_ctx: RunContext, o: SetupOptions): Promise<Setup> {
  const queue = { redisUrl: REDIS_URL, prefix: o.prefix, queue: 'naive' };
  const processes = [spawnScript('baselines/naive-ingest.ts', queue, { label: `${o.name}-ingest` })];
  if (o.receiverUrl) {
    processes.push(
      spawnScript(
        'baselines/naive-worker.ts',
        { ...queue, sinkUrl: o.receiverUrl, concurrency: 50, seal: o.processors !== false },
        { label: `${o.name}-worker` },
      ),
    );
  }
  const [{ port }] = (await Promise.all(processes.map((p) => p.ready()))) as Array<{ port: number }>;
  return setupOf(port, processes);
}

export function startSetup(kind: SetupKind, ctx: RunContext, options: SetupOptions): Promise<Setup> {
  const start = { sluice: startSluice, raw: startRaw, naive: startNaive }[kind];
  return start(ctx, options);
}
