// The systems under test of the HTTP scenarios, each as the processes a user would run: an ingest process
// behind an HTTP port and, when events are to be delivered, a worker process that sends them to the receiver.
//   sluice: `sluice worker --no-deliver` and `sluice worker --no-ingest` on one pipeline file (Redis)
//   raw:    a hand-written XADD ingest and XREADGROUP worker (the practical limit)
//   naive:  the same pipeline with BullMQ, one job per event (the common way)
import { REDIS_URL } from './bench-redis.js';
import { type Child, spawnScript, spawnSluice } from './child.js';
import { freePort, waitForPort } from './free-port.js';
import { redisEntry, sealingProcessors, writePipelineFile } from './pipeline-file.js';
import type { Receiver } from './receiver-client.js';
import type { RunContext } from './scenario.js';

export type SetupKind = 'sluice' | 'raw' | 'naive';

/** Where the processor work happens: on each event, once per batch, or not at all (the transport alone). */
export type Work = 'event' | 'batch' | 'none';

export interface SetupOptions {
  /** Unique name of this variant and repetition: file names, labels, profiles. */
  name: string;
  /** Redis key prefix this setup writes under. */
  prefix: string;
  /** Deliver to this receiver; absent: ingest only. */
  receiver?: Receiver;
  /** The processor work on the way to the receiver (default 'event'). */
  work?: Work;
  /** The Redis URL of the delivering worker alone (a counting proxy); default the bench's Redis. */
  workerRedisUrl?: string;
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
    deliver: 'and `sluice worker --no-ingest` delivering to the http sink (each dispatcher delivers what it claims)',
  },
  raw: {
    ingest: 'hand-written: node:http server, one pipelined batch of XADDs per request',
    deliver:
      'and XREADGROUP batches of up to 1 000 in 4 loops, undici POSTs of whole batches, XACK sent with the next read',
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

/** The outbound half of the Sluice pipeline: the processor chain and the http sink for `work`. */
function sluiceDelivery(receiver: Receiver, work: Work): Record<string, unknown> {
  if (work === 'batch') {
    // The whole batch becomes one event (gzip per batch writes it as NDJSON of events), encrypted once and
    // POSTed as its bytes.
    const [, gzip, aes] = sealingProcessors('decode');
    return {
      processors: [{ ...gzip, per: 'batch' }, aes],
      sinks: [{ type: 'http', url: receiver.sealedUrl('sluice'), mode: 'event', body: 'value' }],
    };
  }
  return {
    processors: work === 'none' ? [] : sealingProcessors('decode'),
    // One request per delivered batch, as the raw worker sends.
    sinks: [{ type: 'http', url: receiver.url, body: 'event', format: 'ndjson', maxEventsPerRequest: 100_000 }],
  };
}

async function startSluice(ctx: RunContext, o: SetupOptions): Promise<Setup> {
  const port = await freePort();
  const pipelines: Record<string, unknown> = {
    ingest: { source: { type: 'http', host: '127.0.0.1', port, path: '/events' }, topic: 'events' },
  };
  if (o.receiver) pipelines.deliver = { topic: 'events', ...sluiceDelivery(o.receiver, o.work ?? 'event') };
  const file = writePipelineFile(ctx.tmp, o.name, { redis: redisEntry(o.prefix), pipelines });
  const workerFile = o.workerRedisUrl
    ? writePipelineFile(ctx.tmp, `${o.name}-worker`, { redis: redisEntry(o.prefix, o.workerRedisUrl), pipelines })
    : file;
  const spawnOptions = (role: string) => ({ label: `${o.name}-${role}`, cpuProfileDir: ctx.profileDir });
  const processes = [spawnSluice(['worker', file, '--no-deliver', '--grace', '5s'], spawnOptions('ingest'))];
  if (o.receiver)
    processes.push(spawnSluice(['worker', workerFile, '--no-ingest', '--grace', '5s'], spawnOptions('worker')));
  await Promise.all(processes.map((p) => p.ready()));
  await waitForPort(port, 10_000);
  return setupOf(port, processes);
}

async function startRaw(ctx: RunContext, o: SetupOptions): Promise<Setup> {
  const stream = `${o.prefix}:stream`;
  const spawnOptions = (role: string) => ({ label: `${o.name}-${role}`, cpuProfileDir: ctx.profileDir });
  const ingest = spawnScript('baselines/raw-ingest.ts', { redisUrl: REDIS_URL, stream }, spawnOptions('ingest'));
  const processes = [ingest];
  if (o.receiver) {
    const work = o.work ?? 'event';
    processes.push(
      spawnScript(
        'baselines/raw-worker.ts',
        {
          redisUrl: o.workerRedisUrl ?? REDIS_URL,
          stream,
          sinkUrl: work === 'batch' ? o.receiver.sealedUrl('raw') : o.receiver.url,
          batch: 1000,
          loops: 4,
          work,
        },
        spawnOptions('worker'),
      ),
    );
  }
  const [{ port }] = (await Promise.all(processes.map((p) => p.ready()))) as Array<{ port: number }>;
  return setupOf(port, processes);
}

async function startNaive(_ctx: RunContext, o: SetupOptions): Promise<Setup> {
  const queue = { redisUrl: REDIS_URL, prefix: o.prefix, queue: 'naive' };
  const processes = [spawnScript('baselines/naive-ingest.ts', queue, { label: `${o.name}-ingest` })];
  if (o.receiver) {
    if (o.work === 'batch') throw new Error('the naive baseline has no per-batch work: it is one job per event');
    processes.push(
      spawnScript(
        'baselines/naive-worker.ts',
        {
          ...queue,
          redisUrl: o.workerRedisUrl ?? REDIS_URL,
          sinkUrl: o.receiver.url,
          concurrency: 50,
          seal: o.work !== 'none',
        },
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
