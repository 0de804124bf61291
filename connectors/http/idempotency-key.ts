// Idempotency-Key values derived from stored event ids, so that a redelivered request carries the same key
// and the receiver can drop the repeat. Ids are unique within a topic only, so the pipeline name is part of
// the key: two pipelines delivering to one receiver never collide.
import { createHash } from 'node:crypto';
import { type SluiceEvent, serializeEvent } from '../../core/event.js';

function idOf(event: SluiceEvent): string {
  // Every delivered event has an id; content is the fallback for an event handed over without one.
  return event.id ?? `sha256:${createHash('sha256').update(serializeEvent(event)).digest('hex')}`;
}

/** The key of one event: `<pipeline>/<event id>`. */
export function eventIdempotencyKey(pipeline: string, event: SluiceEvent): string {
  return `${encodeURIComponent(pipeline)}/${idOf(event)}`;
}

/** The key of a request carrying several events: a digest of all their ids, in order. */
export function batchIdempotencyKey(pipeline: string, events: readonly SluiceEvent[]): string {
  if (events.length === 1) return eventIdempotencyKey(pipeline, events[0]);
  const hash = createHash('sha256');
  for (const e of events) hash.update(idOf(e)).update('\n');
  return `${encodeURIComponent(pipeline)}/batch-${hash.digest('hex')}`;
}
