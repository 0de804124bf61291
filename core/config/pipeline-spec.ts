// What a validated configuration is: the runtime builds everything from these, never from raw YAML.
import type { ProcessorPlugin, SinkPlugin, SourcePlugin } from '../plugin.js';
import type { RetryPolicy } from '../queue/retry-policy.js';
import type { PluginRegistry } from '../registry.js';
import type { TopicSpec } from '../storage/storage.js';
import type { ConfigIssue, ConfigPath } from './issues.js';
import type { Redactor } from './redactor.js';
import type { BatchConfig, ContinuousQueryConfig, SinkCommonConfig } from './schema.js';

export interface ComponentSpec<P> {
  plugin: P;
  /** The plugin's config, parsed by its own schema (defaults applied). */
  config: unknown;
  /** For messages: `pipelines.gps.sinks[0] (http)`. */
  label: string;
  path: ConfigPath;
  file: string;
}

export interface SinkSpec extends ComponentSpec<SinkPlugin> {
  index: number;
  common: SinkCommonConfig;
  /** Subscription (consumer group) name: `<pipeline>.<name>`. */
  subscription: string;
  processors: ComponentSpec<ProcessorPlugin>[];
  batch: BatchConfig;
  retry: RetryPolicy;
}

export interface PipelineSpec {
  name: string;
  file: string;
  baseDir: string;
  source?: ComponentSpec<SourcePlugin>;
  /** Processors between the source and the topic. */
  inbound: ComponentSpec<ProcessorPlugin>[];
  topic: string;
  sinks: SinkSpec[];
  deadLetterTopic: string;
  /** A continuous query from `query.input`; then `topic` is its output, which the sinks subscribe to. */
  query?: ContinuousQueryConfig & { input: string };
}

export interface RedisSettings {
  url: string;
  prefix: string;
  cluster: boolean;
  /** Share of Redis maxmemory above which ingest is held back (0: off; default 0.9). */
  memoryLimit?: number;
}

export interface LoadedConfig {
  files: string[];
  redis?: RedisSettings;
  topics: Map<string, TopicSpec>;
  /** Backpressure limits of the topics that set `maxLag`. */
  maxLag: Map<string, number>;
  /** Per topic, how long a subscription nobody runs is kept (`retention.staleAfter`), ms. */
  staleAfter: Map<string, number>;
  pipelines: PipelineSpec[];
  /** Per topic, the processors that decode stored values for queries (`topics.<name>.decode`). */
  queryDecoders: Map<string, ComponentSpec<ProcessorPlugin>[]>;
  registry: PluginRegistry;
  redactor: Redactor;
  /** Likely mistakes that do not stop a run (a subscription to a topic nothing writes), with their place. */
  warnings: ConfigIssue[];
}
