// When the event loop last ran its timers, and when it stalled. After a long block, I/O callbacks run before any
// timer, so code that resumes then (a response that frees a connection for a queued request, say) cannot learn
// from a timer that a lock lapsed meanwhile; the age of the last turn tells it at once. Once the timers have run
// again that age is small, so the stall itself is remembered: a lock renewed from a timer may have lapsed in it.
const TURN_MS = 200;
/** Gaps between turns at least this long are remembered as stalls. */
const STALL_MS = 2 * TURN_MS;
const STALLS_KEPT = 16;

let lastTurnAt = Date.now();
let timer: NodeJS.Timeout | undefined;
let watchers = 0;
/** The latest stalls, oldest first: when each ended (timers ran again) and how long no timer ran. */
const stalls: Array<{ endedAt: number; ms: number }> = [];

/** Starts noting timer turns (shared by every caller); the result stops this caller's watch. */
export function watchLoopTurns(): () => void {
  watchers++;
  if (!timer) {
    lastTurnAt = Date.now();
    timer = setInterval(() => {
      const now = Date.now();
      if (now - lastTurnAt >= STALL_MS) {
        stalls.push({ endedAt: now, ms: now - lastTurnAt });
        if (stalls.length > STALLS_KEPT) stalls.shift();
      }
      lastTurnAt = now;
    }, TURN_MS);
    timer.unref();
  }
  let isStopped = false;
  return () => {
    if (isStopped) return;
    isStopped = true;
    if (--watchers === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** Milliseconds since the event loop last ran its timers (at most about 200 while it turns freely). */
export function msSinceLoopTurn(): number {
  return Date.now() - lastTurnAt;
}

/**
 * True when the timers ran less than `ms` ago and no stall of `ms` or more ended at or after `since`: the loop
 * has turned freely, within `ms`, all along since then.
 */
export function hasTurnedFreelySince(since: number, ms: number): boolean {
  if (msSinceLoopTurn() >= ms) return false;
  for (const s of stalls) if (s.endedAt >= since && s.ms >= ms) return false;
  return true;
}
