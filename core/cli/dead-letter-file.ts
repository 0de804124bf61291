// An embedded run keeps its dead-letter topics in memory, which ends with the process. When the run ends, their
// events are appended to a file, one serialised event per line (the form `parseEvent` reads back, reason and
// origin in the `sluice-*` headers), so that no failed event is lost silently.
import { open } from 'node:fs/promises';
import { serializeEvent } from '../event.js';
import type { Storage } from '../storage/storage.js';

/** Where an embedded run keeps its dead letters unless told otherwise (relative to the working directory). */
export const DEFAULT_DEAD_LETTER_FILE = 'sluice-dead-letters.ndjson';

const PAGE = 1000;

/** Appends every event of `topics` to `path`; returns how many. Writes nothing (not even the file) when none. */
export async function keepDeadLetters(storage: Storage, topics: readonly string[], path: string): Promise<number> {
  let kept = 0;
  let file: Awaited<ReturnType<typeof open>> | undefined;
  try {
    for (const topic of new Set(topics)) {
      const { partitions } = await storage.topicInfo(topic);
      for (let partition = 0; partition < partitions; partition++) {
        for (let afterId: string | undefined; ; ) {
          const page = await storage.read(topic, { partition, afterId, limit: PAGE });
          if (page.length === 0) break;
          file ??= await open(path, 'a');
          await file.appendFile(`${page.map((e) => serializeEvent(e)).join('\n')}\n`);
          kept += page.length;
          afterId = page[page.length - 1].id;
        }
      }
    }
  } finally {
    await file?.close();
  }
  return kept;
}
