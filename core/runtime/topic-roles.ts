// What a topic is for, recorded beside it in storage when a pipeline starts, so that admin tools tell dead-letter
// topics from event topics by what the configuration said, not by a name (`deadLetterTopic` can be any name).
import type { Storage } from '../storage/storage.js';

const SCOPE = 'sluice/topic-roles';
const DEAD_LETTER = 'dead-letter';

export function markDeadLetterTopic(storage: Storage, topic: string): Promise<void> {
  return storage.state(SCOPE).set(topic, DEAD_LETTER);
}

export async function isDeadLetterTopic(storage: Storage, topic: string): Promise<boolean> {
  return (await storage.state(SCOPE).get(topic)) === DEAD_LETTER;
}

/** The dead-letter topics among the stored topics. */
export async function deadLetterTopics(storage: Storage): Promise<string[]> {
  const topics: string[] = [];
  for (const topic of await storage.listTopics()) if (await isDeadLetterTopic(storage, topic)) topics.push(topic);
  return topics;
}
