// A processor chain: each processor's output is the next one's input; rejected records leave the chain
// with their reason and the component that rejected them.
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

export class ProcessorChain {
  constructor(readonly steps: readonly ChainStep[]) {}

  async run(batch: readonly SluiceEvent[]): Promise<ChainResult> {
    let events = batch as SluiceEvent[];
    const rejected: ChainResult['rejected'] = [];
    for (const step of this.steps) {
      if (events.length === 0) break;
      const out = await step.instance.process(events);
      if (Array.isArray(out)) {
        events = out;
        continue;
      }
      const result = out as ProcessResult;
      events = result.events;
      for (const r of result.rejected ?? []) rejected.push({ event: r.event, error: r.error, component: step.label });
    }
    return { events, rejected };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.steps.map((s) => s.instance.close?.()));
  }
}
