// Whether storage answers, and how fast: one cheap round trip with a deadline, because a Redis client whose
// server is gone may hold a command in its offline queue for as long as it retries.
import type { Storage } from '../storage/storage.js';

/** How long a probe waits for storage before calling it unreachable, ms. */
export const PROBE_TIMEOUT_MS = 2000;

export type ProbeResult = { isReachable: true; seconds: number } | { isReachable: false; reason: string };

export async function probeStorage(storage: Storage, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([storage.listTopics(), deadline]);
    return { isReachable: true, seconds: (performance.now() - started) / 1000 };
  } catch (err) {
    return { isReachable: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
