// Follows a topic from now on without a subscription: each partition is read after the last event seen, starting
// at the time the tail began. Nothing is written to storage, so a tap leaves no trace and holds no retention back.
import type { Storage, StoredEvent } from '../storage/storage.js';

const POLL_MS = 200;
const PAGE = 500;

export async function tailTopic(
  storage: Storage,
  topic: string,
  signal: AbortSignal,
  onEvents: (events: StoredEvent[]) => void,
): Promise<void> {
  const start = Date.now();
  const { partitions } = await storage.topicInfo(topic);
  const after = new Map<number, string>();
  while (!signal.aborted) {
    let read = 0;
    for (let partition = 0; partition < partitions && !signal.aborted; partition++) {
      const afterId = after.get(partition);
      const page = await storage.read(
        topic,
        afterId === undefined ? { partition, fromTime: start, limit: PAGE } : { partition, afterId, limit: PAGE },
      );
      if (page.length === 0) continue;
      after.set(partition, page[page.length - 1].id);
      read += page.length;
      onEvents(page);
    }
    if (read === 0) await sleep(POLL_MS, signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
