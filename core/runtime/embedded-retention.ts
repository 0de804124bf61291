// An embedded run keeps its topics in the process's memory, so a topic without retention would grow for as
// long as the run lasts. There, a topic that sets neither bound keeps at most this many events per partition.
// Retention still waits for every subscription (unless the topic allows loss), so only delivered events go.
import type { TopicSpec } from '../storage/storage.js';

export const EMBEDDED_MAX_EVENTS = 50_000;

/** The topic as an embedded run keeps it: its own retention if it sets one, else the embedded default. */
export function withEmbeddedRetention(topic: TopicSpec): TopicSpec {
  const { maxEvents, maxAgeMs } = topic.retention ?? {};
  if (maxEvents !== undefined || maxAgeMs !== undefined) return topic;
  return { ...topic, retention: { ...topic.retention, maxEvents: EMBEDDED_MAX_EVENTS } };
}
