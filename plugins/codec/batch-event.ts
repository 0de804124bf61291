// How a whole batch travels as one event (ndjson, csv and lines encoding, per-batch compression) and how the
// events split from one payload are built. The batch event takes the key and time of the first event and says
// in a header how many events it holds.
import type { EventValue, SluiceEvent } from '../../core/event.js';

export const BATCH_COUNT_HEADER = 'sluice-batch-count';

/** One event standing for `batch` (which must not be empty), carrying `value`. */
export function batchEvent(batch: readonly SluiceEvent[], value: EventValue, count = batch.length): SluiceEvent {
  return { key: batch[0].key, value, ts: batch[0].ts, headers: { [BATCH_COUNT_HEADER]: String(count) } };
}

/** Builds the events split from `whole`: its key, time and headers (less the batch count), a new value. */
export function partMaker(whole: SluiceEvent): (value: EventValue) => SluiceEvent {
  const { [BATCH_COUNT_HEADER]: _count, ...headers } = whole.headers;
  return (value) => ({ key: whole.key, value, ts: whole.ts, headers });
}
