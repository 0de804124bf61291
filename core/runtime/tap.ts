// Live taps on the stages of a pipeline inside this process: after each processor of the inbound chain, after
// each processor of a sink's chain, and what a sink accepted. A stage nobody taps costs one map lookup per
// batch; nothing is copied, queued or kept for a tap, and a slow tap listener is the listener's own business.
import type { PipelineSpec } from '../config/pipeline-spec.js';
import type { SluiceEvent } from '../event.js';

export type TapListener = (events: readonly SluiceEvent[]) => void;

/** A stage's name: `topic`, `processor:<i>`, `sink:<name>`, `sink:<name>:processor:<i>` (i from 0). */
export const tapStage = {
  topic: 'topic',
  inbound: (step: number) => `processor:${step}`,
  sink: (name: string) => `sink:${name}`,
  sinkProcessor: (name: string, step: number) => `sink:${name}:processor:${step}`,
};

/** A sink's name within its pipeline: its subscription without the pipeline prefix. */
export function sinkName(pipeline: string, subscription: string): string {
  return subscription.slice(pipeline.length + 1);
}

/** Every stage of a pipeline that can be tapped, in flow order. */
export function tapStages(spec: PipelineSpec): string[] {
  const stages = spec.inbound.map((_, i) => tapStage.inbound(i));
  stages.push(tapStage.topic);
  for (const sink of spec.sinks) {
    const name = sinkName(spec.name, sink.subscription);
    stages.push(...sink.processors.map((_, i) => tapStage.sinkProcessor(name, i)), tapStage.sink(name));
  }
  return stages;
}

export class Taps {
  private readonly listeners = new Map<string, Set<TapListener>>();

  /** Whether anyone taps the stage: a caller that must build the events first asks this before. */
  isTapped(pipeline: string, stage: string): boolean {
    return this.listeners.has(`${pipeline}\u0000${stage}`);
  }

  /** Hands the events to the stage's listeners, if any. */
  emit(pipeline: string, stage: string, events: readonly SluiceEvent[]): void {
    const listeners = this.listeners.get(`${pipeline}\u0000${stage}`);
    if (listeners === undefined || events.length === 0) return;
    for (const listener of listeners) listener(events);
  }

  /** Listens to a stage until the returned function is called. */
  listen(pipeline: string, stage: string, listener: TapListener): () => void {
    const name = `${pipeline}\u0000${stage}`;
    const listeners = this.listeners.get(name) ?? new Set();
    listeners.add(listener);
    this.listeners.set(name, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.listeners.delete(name);
    };
  }
}
