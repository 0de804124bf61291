// A function processor module with process(batch): keeps every other event and counts its closes.
import type { SluiceEvent } from '../../../../../core/event.js';

export const closed = { count: 0 };

export default {
  process(batch: readonly SluiceEvent[]): SluiceEvent[] {
    return batch.filter((_, i) => i % 2 === 0);
  },
  async close(): Promise<void> {
    closed.count++;
  },
};
