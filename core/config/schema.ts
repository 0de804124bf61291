// The shape of a pipeline file around the plugins: top-level keys, pipelines, topics, and the keys every sink
// accepts besides its own (batching, retries, ordering, routing). Plugin keys are validated by each plugin.
import { z } from 'zod';
import { duration } from '../duration.js';
import { retrySchema } from '../queue/retry-policy.js';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const name = (what: string) =>
  z
    .string()
    .regex(NAME_PATTERN, `a ${what} name uses letters, digits, ".", "_" and "-", and starts with a letter or digit`);

/** A component as the pipeline level sees it: a `type` and the plugin's own keys. */
export const componentSchema = z.looseObject({
  type: z.string().describe('Which plugin: see `sluice plugins`.'),
});

export const batchSchema = z
  .object({
    maxEvents: z.number().int().min(1).max(100_000).default(500).describe('Most events in one batch handed to a sink.'),
    maxWait: duration()
      .default(0)
      .describe('How long to wait for a batch to fill before sending a partial one (0: send what is there at once).'),
  })
  .describe('Batching of events on the way to a sink.');

export const sinkCommonSchema = z.object({
  name: name('subscription')
    .optional()
    .describe(
      'Subscription name of this sink, unique in the pipeline. Default: "<type>-<index>". Set it to keep the position when sinks are reordered.',
    ),
  processors: z
    .array(componentSchema)
    .default([])
    .describe('Processors applied to events on the way to this sink only.'),
  route: z.string().optional().describe('Receive only events that a `route` processor sent to this route name.'),
  batch: batchSchema.optional().describe('Batching for this sink (default: the pipeline batch).'),
  retry: retrySchema.optional().describe('Retries for this sink (default: the pipeline retry policy).'),
  ordered: z
    .boolean()
    .default(false)
    .describe('Deliver in order per key: at most one batch per partition in flight. Slower; needed by some sinks.'),
  concurrency: z
    .number()
    .int()
    .min(1)
    .max(256)
    .default(4)
    .describe('Batches in flight per partition when not ordered.'),
  start: z
    .enum(['beginning', 'end'])
    .default('beginning')
    .describe('Where a new subscription starts: the oldest stored event, or only events stored from now on.'),
});

export const SINK_COMMON_KEYS = Object.keys(sinkCommonSchema.shape);

export const retentionSchema = z.object({
  maxEvents: z.number().int().min(1).optional().describe('Keep at most this many events per partition.'),
  // Compared with stored event times, never waited on: years are fine.
  maxAge: duration({ max: 100 * 365 * 86_400_000 })
    .optional()
    .describe('Drop events stored longer ago than this (e.g. 7d).'),
  allowLoss: z
    .boolean()
    .default(false)
    .describe('Let retention drop events a subscription has not acknowledged yet (counted as lost). Default: wait.'),
  // Compared with recorded times, never waited on.
  staleAfter: duration({ max: 100 * 365 * 86_400_000 })
    .default(7 * 86_400_000)
    .describe(
      'Delete a subscription of this topic that no running pipeline has used for this long, so that it no longer holds retention back (e.g. 7d, the default). Its pipeline, if it comes back, starts it again at its `start`.',
    ),
});

export const topicSchema = z.object({
  partitions: z
    .number()
    .int()
    .min(1)
    .max(1024)
    .default(4)
    .describe('Partitions of the topic; events with the same key stay in order in one partition.'),
  retention: retentionSchema.default(retentionSchema.parse({})).describe('How long stored events are kept.'),
  decode: z
    .array(componentSchema)
    .default([])
    .describe(
      'Processors that turn stored values into what queries see (e.g. gunzip, then json), the same plugins as pipelines. Events they reject are left out of query tables.',
    ),
  maxLag: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe(
      'Backpressure: when more events than this are stored but not yet delivered to the slowest sink, poll sources wait and push sources refuse (HTTP 429). 0: no limit. Default: 100000 embedded, no limit with Redis.',
    ),
});

export const continuousQuerySchema = z
  .object({
    sql: z
      .string()
      .min(1)
      .describe(
        "One SELECT over the pipeline's topic (named as the topic), run on the events of each closed window. Each row becomes an event on `output` with window_start and window_end; a `key` column keys it.",
      ),
    window: duration().describe('Window size by event time, e.g. 1m.'),
    hop: duration()
      .optional()
      .describe('Distance between window starts, for hopping windows. Default: the window size (tumbling).'),
    grace: duration()
      .default(0)
      .describe('How long past a window end (by event time) late events still count; later ones are dead-lettered.'),
    output: name('topic').describe("Topic the result rows are stored on; this pipeline's sinks deliver them."),
    every: duration().default(1000).describe('How often new events are read and closed windows evaluated.'),
  })
  .describe('A continuous query: SQL per closed event-time window, its rows stored on another topic.');

export const pipelineSchema = z.object({
  description: z.string().optional().describe('What this pipeline is for.'),
  source: componentSchema.optional().describe('Where events come from.'),
  processors: z
    .array(componentSchema)
    .default([])
    .describe('Processors after the source, before the topic (or, with no source, before every sink).'),
  topic: name('topic')
    .optional()
    .describe('The stored topic this pipeline writes (with a source) or subscribes to (without one).'),
  sinks: z
    .array(componentSchema)
    .default([])
    .describe('Destinations; each is an independent subscription to the topic.'),
  batch: batchSchema.default({ maxEvents: 500, maxWait: 0 }).describe('Default batching for the sinks.'),
  retry: retrySchema.default(retrySchema.parse({})).describe('Default retry policy for the sinks.'),
  deadLetterTopic: name('topic')
    .optional()
    .describe('Topic for events that cannot be processed or delivered. Default: "<pipeline>.dlq".'),
  query: continuousQuerySchema
    .optional()
    .describe("A continuous query over `topic`; the pipeline's sinks subscribe to its output topic."),
});

export const redisSchema = z.union([
  z.string().describe('Redis URL, e.g. redis://127.0.0.1:6379. Empty: embedded mode.'),
  z.object({
    url: z.string().describe('Redis URL, e.g. redis://127.0.0.1:6379.'),
    prefix: z.string().default('sluice').describe('Prefix of every key Sluice writes.'),
    cluster: z.boolean().default(false).describe('Connect to a Redis Cluster (url names one of its nodes).'),
    memoryLimit: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .describe(
        'Backpressure: above this share of Redis maxmemory, poll sources wait and push sources refuse (HTTP 429 with Retry-After) instead of filling Redis up. 0: off; no effect when Redis has no maxmemory.',
      ),
  }),
]);

export const fileSchema = z.object({
  redis: redisSchema
    .optional()
    .describe('Redis for durable storage and worker fleets. Absent or empty: embedded mode.'),
  plugins: z
    .array(z.string())
    .default([])
    .describe('Plugin modules to load: relative paths to .ts/.js files, or installed npm package names.'),
  topics: z.record(name('topic'), topicSchema).default({}).describe('Topic settings by topic name.'),
  pipelines: z.record(name('pipeline'), pipelineSchema).default({}).describe('Pipelines by name.'),
});

export type FileConfig = z.output<typeof fileSchema>;
export type PipelineConfig = z.output<typeof pipelineSchema>;
export type SinkCommonConfig = z.output<typeof sinkCommonSchema>;
export type BatchConfig = z.output<typeof batchSchema>;
export type TopicConfig = z.output<typeof topicSchema>;
export type ContinuousQueryConfig = z.output<typeof continuousQuerySchema>;
