// Tumbling and hopping windows by event time. Windows start at multiples of `hop` since the epoch and last
// `size` (tumbling: hop = size), so every worker of a fleet cuts the same windows without agreeing on anything.

export interface WindowSpec {
  sizeMs: number;
  /** Distance between window starts; equal to sizeMs for tumbling windows. */
  hopMs: number;
}

/** The earliest window that holds an event at `ts`. */
export function firstWindowStart(ts: number, w: WindowSpec): number {
  return (Math.floor(ts / w.hopMs) - Math.ceil(w.sizeMs / w.hopMs) + 1) * w.hopMs;
}

/** Whether an event at `ts` belongs to a window that starts before `nextStart` (one already closed). */
export function missedAWindow(ts: number, nextStart: number, w: WindowSpec): boolean {
  return firstWindowStart(ts, w) < nextStart;
}
