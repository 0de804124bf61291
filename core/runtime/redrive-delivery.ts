// How a redriven dead letter reaches its original sink and no other: `sluice dlq redrive` appends it to the
// original topic with a header naming the sink's subscription and the step of the sink's path it failed at.
// Every other subscription of the topic acknowledges it without delivering; the named one resumes it at that
// step, so a processor that had already run on it does not run twice.
import type { SluiceEvent } from '../event.js';
import type { ChainResult } from './chain.js';
import type { LiveSink } from './pipeline-runtime.js';

export const REDRIVE_HEADERS = {
  /** The subscription (sink) the redriven event is for. */
  subscription: 'sluice-redrive-for',
  /** The sink's processors it had passed when it failed. */
  step: 'sluice-redrive-step',
  /** The dead-letter topic and id it was redriven from. */
  from: 'sluice-redriven-from',
} as const;

/** The events of a batch this sink delivers: all but the redriven events meant for another sink. */
export function eventsForSink<E extends SluiceEvent>(sink: LiveSink, batch: readonly E[]): E[] {
  return batch.filter((e) => {
    const target = e.headers[REDRIVE_HEADERS.subscription];
    return target === undefined || target === sink.spec.subscription;
  });
}

/** Where in the sink's path an event starts: 0, or for a redriven event the step it failed at. */
export function resumeStep(event: SluiceEvent): number {
  const step = Number(event.headers[REDRIVE_HEADERS.step] ?? 0);
  return Number.isInteger(step) && step >= 0 ? step : 0;
}

/** The step of the sink's path a rejecting component stands at (its processors, then the sink itself). */
export function stepOf(sink: LiveSink, component: string): number {
  const i = sink.chain.steps.findIndex((s) => s.label === component);
  return i === -1 ? sink.chain.steps.length : i;
}

/** Runs the sink's processors on the events it delivers, each from its resume step, in batch order per step. */
export async function runSinkChain(sink: LiveSink, batch: readonly SluiceEvent[]): Promise<ChainResult> {
  if (!batch.some((e) => e.headers[REDRIVE_HEADERS.subscription] !== undefined)) return sink.chain.run(batch);
  const byStep = new Map<number, SluiceEvent[]>();
  for (const event of eventsForSink(sink, batch)) {
    const step = resumeStep(event);
    const group = byStep.get(step);
    if (group) group.push(event);
    else byStep.set(step, [event]);
  }
  const result: ChainResult = { events: [], rejected: [] };
  for (const [step, events] of byStep) {
    const part = await sink.chain.run(events, step);
    result.events.push(...part.events);
    result.rejected.push(...part.rejected);
  }
  return result;
}
