// The pipeline most fault cases run: a generated sequence (value `{ seq }`, 1..total) stored in a topic and
// delivered to the sinks a case names, by `sluice worker` processes on a Redis of the case's choosing.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisStorage } from '../../core/storage/redis.js';
import { SluiceProcess } from '../harness/fleet.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';

const prefixesOnTestRedis: string[] = [];

/** Deletes the keys of every pipeline made on the machine's Redis (throwaway servers go with their data). */
export async function deletePipelineKeys(): Promise<void> {
  if (prefixesOnTestRedis.length === 0) return;
  const redis = await connectTestRedis();
  for (const prefix of prefixesOnTestRedis.splice(0)) await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
}

export interface SequencePipelineOptions {
  redisUrl: string;
  /** Events the generate source makes. */
  total?: number;
  /** Events per second the generate source makes; 0 as fast as it can. */
  rate?: number;
  /** YAML of the sinks list, indented to sit under `sinks:` (six spaces); given the case's folder. */
  sinks: string | ((dir: string) => string);
  /** The source, as YAML flow mapping; default a generate source of `total` events at `rate`. */
  source?: string;
  /** YAML of an outbound processor chain, indented like `sinks`; given the case's folder. */
  processors?: string | ((dir: string) => string);
  /** YAML of the source's (inbound) processor chain, indented like `sinks`; given the case's folder. */
  inbound?: (dir: string) => string;
  /** YAML added at the top level (plugins, topics). */
  extra?: string;
  /** YAML of more pipelines, indented by two spaces; given the case's folder. */
  morePipelines?: (dir: string) => string;
}

export interface SequencePipeline {
  dir: string;
  file: string;
  prefix: string;
}

/** Writes the pipeline file; given `previous`, a changed version of it beside it, on the same Redis keys. */
export function sequencePipeline(options: SequencePipelineOptions, previous?: SequencePipeline): SequencePipeline {
  const prefix = previous?.prefix ?? uniquePrefix('chaos');
  if (!previous && options.redisUrl === TEST_REDIS_URL) prefixesOnTestRedis.push(prefix);
  const dir = previous?.dir ?? mkdtempSync(join(tmpdir(), 'sluice-chaos-'));
  const file = join(dir, previous ? 'pipeline-changed.yaml' : 'pipeline.yaml');
  const chain = typeof options.processors === 'function' ? options.processors(dir) : options.processors;
  const processors = chain ? `    processors:\n${chain}` : '';
  const inbound = options.inbound ? `    processors:\n${options.inbound(dir)}` : '';
  writeFileSync(
    file,
    `redis: { url: "${options.redisUrl}", prefix: "${prefix}" }
${options.extra ?? ''}
pipelines:
  seq-in:
    source: ${options.source ?? `{ type: generate, preset: sequence, count: ${options.total}, rate: ${options.rate}, batchSize: 500, keys: 8 }`}
    topic: seq
${inbound}  seq-out:
    topic: seq
${processors}    sinks:
${typeof options.sinks === 'string' ? options.sinks : options.sinks(dir)}${options.morePipelines?.(dir) ?? ''}`,
  );
  return { dir, file, prefix };
}

/** Starts `sluice worker` on a pipeline file, its log beside the file, and waits until it runs. */
export async function startWorker(
  pipeline: SequencePipeline,
  name: string,
  args: string[] = [],
): Promise<SluiceProcess> {
  const worker = SluiceProcess.start(
    ['worker', pipeline.file, '--grace', '10s', ...args],
    join(pipeline.dir, `${name}.log`),
    {
      WORKER_NAME: name,
    },
  );
  await worker.whenStarted();
  return worker;
}

/**
 * Events the pipeline's topic holds, once every process running its source has stopped: the sequence numbers
 * 1..that many (a generated sequence is stored in order, each with its checkpoint).
 */
export async function storedEvents(pipeline: SequencePipeline, redisUrl: string): Promise<number> {
  const storage = await RedisStorage.connect({ url: redisUrl, prefix: pipeline.prefix });
  try {
    return (await storage.topicInfo('seq')).length;
  } finally {
    await storage.close();
  }
}
