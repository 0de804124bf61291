// Reading several partitions at once returns one list in stored order: by stream id time, then sequence, then
// partition. Each partition's list is already in that order, so a k-way merge keeps it linear.

import { parseEventId, type StoredEvent } from './storage.js';

interface Cursor {
  events: readonly StoredEvent[];
  at: number;
  ms: number;
  seq: number;
}

function load(c: Cursor): void {
  const streamId = parseEventId(c.events[c.at].id).streamId;
  const dash = streamId.indexOf('-');
  c.ms = Number(streamId.slice(0, dash));
  c.seq = Number(streamId.slice(dash + 1));
}

/** Merges per-partition lists (each in id order) into stored order, keeping at most `limit` events. */
export function mergeInStoredOrder(lists: ReadonlyArray<readonly StoredEvent[]>, limit: number): StoredEvent[] {
  const cursors: Cursor[] = [];
  for (const events of lists) {
    if (events.length === 0) continue;
    const c = { events, at: 0, ms: 0, seq: 0 };
    load(c);
    cursors.push(c);
  }
  if (cursors.length === 1) return cursors[0].events.slice(0, limit);
  const out: StoredEvent[] = [];
  while (out.length < limit && cursors.length > 0) {
    let next = 0;
    for (let i = 1; i < cursors.length; i++) {
      const a = cursors[i];
      const b = cursors[next];
      if (
        a.ms < b.ms ||
        (a.ms === b.ms && (a.seq < b.seq || (a.seq === b.seq && a.events[a.at].partition < b.events[b.at].partition)))
      ) {
        next = i;
      }
    }
    const c = cursors[next];
    out.push(c.events[c.at++]);
    if (c.at < c.events.length) load(c);
    else cursors.splice(next, 1);
  }
  return out;
}
