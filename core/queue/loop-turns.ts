// When the event loop last ran its timers. After a long block, I/O callbacks run before any timer, so code that
// resumes then (a response that frees a connection for a queued request, say) cannot learn from a timer that a
// lock lapsed meanwhile; the age of the last turn tells it at once.
const TURN_MS = 200;

let lastTurnAt = Date.now();
let timer: NodeJS.Timeout | undefined;
let watchers = 0;

/** Starts noting timer turns (shared by every caller); the result stops this caller's watch. */
export function watchLoopTurns(): () => void {
  watchers++;
  if (!timer) {
    lastTurnAt = Date.now();
    timer = setInterval(() => {
      lastTurnAt = Date.now();
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
