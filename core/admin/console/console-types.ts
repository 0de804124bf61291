// What the console's own API routes answer: shared by the routes and the page (which imports these types only),
// so the two cannot drift apart.

/** One point of the history, every `intervalMs`: rates over the interval before `t`, lag at `t`. */
export interface HistorySample {
  /** ms since the epoch. */
  t: number;
  /** Events stored per second, by pipeline (its source). */
  in: Record<string, number>;
  /** Events accepted per second, by subscription (`<pipeline>.<sink>`). */
  out: Record<string, number>;
  /** Events stored and not yet handed out, by subscription. */
  lag: Record<string, number>;
  /** 99th percentile of store-to-delivery latency over the interval, seconds, by subscription; null: none delivered. */
  p99: Record<string, number | null>;
}

export interface HistoryReply {
  intervalMs: number;
  /** Which process's rates these are: rates are counted per process; lag is the fleet's. */
  worker: string;
  samples: HistorySample[];
}

export type RunState = 'running' | 'paused' | 'stopped';

export interface GraphSink {
  name: string;
  type: string;
  subscription: string;
  state: RunState | 'unknown';
  isFailing: boolean;
  lag: number;
  pending: number;
  /** Events per second over the last history interval. */
  rate: number;
}

export interface GraphPipeline {
  name: string;
  state: RunState | 'unknown';
  source: { type: string; rate: number } | null;
  /** The topic a continuous query reads, when this pipeline runs one (its `topic` is then the query's output). */
  queryInput: string | null;
  topic: string;
  deadLetterTopic: string;
  sinks: GraphSink[];
}

export interface GraphTopic {
  name: string;
  partitions: number;
  length: number;
  isDeadLetter: boolean;
}

export interface GraphReply {
  worker: string;
  pipelines: GraphPipeline[];
  topics: GraphTopic[];
}

export interface SessionReply {
  needsToken: boolean;
}
