// The signal of one outgoing request: aborted when the plugin stops or when the request's total time is up. Made
// by hand rather than with AbortSignal.any + AbortSignal.timeout, whose timer holds the signal (and what listens
// to it) for the whole timeout even after the request is done: at hundreds of requests a second, tens of thousands
// of finished requests stay reachable, pass into the old generation and come back as long collector pauses.
export interface RequestDeadline {
  readonly signal: AbortSignal;
  /** Frees the timer and the listener on the plugin's signal; call it once the request and its answer are done. */
  dispose(): void;
}

export function requestDeadline(stopping: AbortSignal, totalMs: number): RequestDeadline {
  const controller = new AbortController();
  const onStop = () => controller.abort(stopping.reason);
  if (stopping.aborted) onStop();
  else stopping.addEventListener('abort', onStop, { once: true });
  // The same reason AbortSignal.timeout gives, so a timeout is classified as one.
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    totalMs,
  );
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      stopping.removeEventListener('abort', onStop);
    },
  };
}
