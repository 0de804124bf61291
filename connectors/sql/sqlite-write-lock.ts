// SQLite allows one writer at a time, and better-sqlite3 waits for a busy database synchronously: two sinks of
// one process writing the same file, each holding a transaction across `await`s, would block the event loop that
// the other needs to finish. Writes to one file are therefore taken in turn within the process; other processes
// are still waited for (busy timeout) and, past that, retried.
const tails = new Map<string, Promise<unknown>>();

/** Runs `fn` once every earlier write to the same file (same key) in this process has finished. */
export async function withWriteLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  try {
    return await run;
  } finally {
    if (tails.get(key) === tail) tails.delete(key);
  }
}
