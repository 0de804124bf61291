// The paged scan both drivers serve: every partition in the bounds is read a page at a time, the pages of all
// partitions fetched together (one round trip's worth on Redis), each page starting after the last id of the
// one before. Only one page per partition is held at a time, so a scan of any topic runs in bounded memory.

import { readPartitions } from './contract-checks.js';
import { DEFAULT_SCAN_PAGE, type ReadOptions, type ScanOptions, type StoredEvent } from './storage.js';

/** The read a scan pages over: a driver's own `read`. */
export type PageReader = (topic: string, options: ReadOptions) => Promise<StoredEvent[]>;

export async function* pagedScan(
  read: PageReader,
  topic: string,
  partitions: number,
  options: ScanOptions,
): AsyncGenerator<StoredEvent[]> {
  const { pageSize = DEFAULT_SCAN_PAGE, ...bounds } = options;
  if (!Number.isInteger(pageSize) || pageSize < 1) {
    throw new RangeError(`scan of topic "${topic}": pageSize ${pageSize} is not a positive integer`);
  }
  const after = new Map<number, string | undefined>();
  for (const p of readPartitions(topic, partitions, bounds)) after.set(p, undefined);
  while (after.size > 0) {
    const open = [...after.keys()];
    const pages = await Promise.all(
      open.map((partition) => read(topic, { ...bounds, partition, afterId: after.get(partition), limit: pageSize })),
    );
    for (let i = 0; i < open.length; i++) {
      const page = pages[i];
      if (page.length < pageSize) after.delete(open[i]);
      else after.set(open[i], page[page.length - 1].id);
      if (page.length > 0) yield page;
    }
  }
}
