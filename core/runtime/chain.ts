// A processor chain: each processor's output is the next one's input; rejected records leave the chain
// with their reason and the component that rejected them.

import { errorKind, toSluiceError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import type { ProcessorInstance, ProcessResult } from '../plugin.js';

export interface ChainStep {
  label: string;
  instance: ProcessorInstance;
}

export interface ChainResult {
  events: SluiceEvent[];
  rejected: Array<{ event: SluiceEvent; error: unknown; component: string }>;
}

/** Sees each step's output (a tap); `step` counts from 0 over the whole chain. */
export type StepObserver = (step: number, events: readonly SluiceEvent[]) => void;

export class ProcessorChain {
  constructor(
    readonly steps: readonly ChainStep[],
    private readonly observe?: StepObserver,
  ) {}

  /** Runs the batch through the steps from `first` on (a redriven event resumes where it failed). */
  async run(batch: readonly SluiceEvent[], first = 0): Promise<ChainResult> {
    let events = batch as SluiceEvent[];
    const rejected: ChainResult['rejected'] = [];
    for (const [i, step] of this.steps.slice(first).entries()) {
      if (events.length === 0) break;
      const result = await processIsolatingRecords(step.instance, events);
      events = result.events;
      this.observe?.(first + i, events);
      for (const r of result.rejected ?? []) rejected.push({ event: r.event, error: r.error, component: step.label });
    }
    return { events, rejected };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.steps.map((s) => s.instance.close?.()));
  }
}

/**
 * Runs one processor. One that throws a record error for the whole batch (a value too deep for it, say) is
 * given each event alone, so that only the events at fault are rejected; any other error is the batch's.
 */
async function processIsolatingRecords(instance: ProcessorInstance, batch: SluiceEvent[]): Promise<ProcessResult> {
  try {
    const out = await instance.process(batch);
    return Array.isArray(out) ? { events: out } : (out as ProcessResult);
  } catch (err) {
    if (errorKind(err) !== 'record') throw err;
    if (batch.length === 1) return { events: [], rejected: [{ event: batch[0], error: toSluiceError(err) }] };
  }
  const events: SluiceEvent[] = [];
  const rejected: NonNullable<ProcessResult['rejected']> = [];
  for (const event of batch) {
    const one = await processIsolatingRecords(instance, [event]);
    for (const e of one.events) events.push(e);
    for (const r of one.rejected ?? []) rejected.push(r);
  }
  return { events, rejected };
}
