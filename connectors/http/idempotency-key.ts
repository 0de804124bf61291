// Idempotency-Key values derived from stored event ids, so that a redelivered request carries the same key
// and the receiver can drop the repeat. Ids are unique within a topic only, so the pipeline name is part of
// the key: two pipelines delivering to one receiver never collide.
import { createHash } from 'node:crypto';
import { type SluiceEvent, serializeEvent } from '../../core/event.js';

/**
 * What names an event in a key: its id (every stored event has one); for an event a processor made (a batch
 * gzipped into one event), the name its delivery gives it (`<delivery id>#<index>`, the same on every redelivery);
 * its content only when neither is known. Content is the last resort: it is not stable when a processor encrypts
 * (a fresh nonce each time), and digesting a batch made into one event costs more than delivering it.
 */
function idOf(event: SluiceEvent, name: string | undefined): string {
  return event.id ?? name ?? `sha256:${createHash('sha256').update(serializeEvent(event)).digest('hex')}`;
}

/** The key of one event: `<pipeline>/<event id>`; `name` names an event without id (see idOf). */
export function eventIdempotencyKey(pipeline: string, event: SluiceEvent, name?: string): string {
  return `${encodeURIComponent(pipeline)}/${idOf(event, name)}`;
}

/** The key of a request carrying several events: a digest of all their ids, in order; `names` as for one event. */
export function batchIdempotencyKey(
  pipeline: string,
  events: readonly SluiceEvent[],
  names?: readonly (string | undefined)[],
): string {
  if (events.length === 1) return eventIdempotencyKey(pipeline, events[0], names?.[0]);
  const hash = createHash('sha256');
  for (let i = 0; i < events.length; i++) hash.update(idOf(events[i], names?.[i])).update('\n');
  return `${encodeURIComponent(pipeline)}/batch-${hash.digest('hex')}`;
}
