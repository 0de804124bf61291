// What both storage drivers check on their inputs, and the errors they raise for it, so that a caller sees the
// same codes and messages whichever driver runs: the conformance suite holds them to it.

import { ConfigError, FatalError, RecordError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import { parseEventId, type ReadOptions, type RetentionSpec } from './storage.js';

// Braces would break the Redis Cluster hash tag built from the name; whitespace and control characters make
// names that cannot be typed back on a command line.
const TOPIC_NAME = /^[^{}\s\p{Cc}]{1,200}$/u;

export function checkTopicName(topic: string): void {
  if (!TOPIC_NAME.test(topic)) {
    throw new ConfigError(
      `topic name ${JSON.stringify(topic)} is not allowed: use 1 to 200 characters without braces, spaces or control characters`,
      { code: 'E_TOPIC_NAME' },
    );
  }
}

export function checkPartitionCount(topic: string, partitions: number): void {
  if (!Number.isInteger(partitions) || partitions < 1 || partitions > 1024) {
    throw new ConfigError(`topic "${topic}": partitions must be a whole number from 1 to 1024, not ${partitions}`, {
      code: 'E_TOPIC_PARTITIONS',
    });
  }
}

export function checkRetention(topic: string, retention: RetentionSpec | undefined): void {
  const { maxEvents, maxAgeMs } = retention ?? {};
  if (maxEvents !== undefined && (!Number.isInteger(maxEvents) || maxEvents < 0)) {
    throw new ConfigError(
      `topic "${topic}": retention maxEvents must be a whole number of 0 or more, not ${maxEvents}`,
      {
        code: 'E_TOPIC_RETENTION',
      },
    );
  }
  if (maxAgeMs !== undefined && (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0)) {
    throw new ConfigError(`topic "${topic}": retention maxAgeMs must be a positive number of ms, not ${maxAgeMs}`, {
      code: 'E_TOPIC_RETENTION',
    });
  }
}

export function checkClaimCount(topic: string, count: number): void {
  if (!Number.isInteger(count) || count < 1) {
    throw new ConfigError(`claim from topic "${topic}": count must be a whole number of 1 or more, not ${count}`, {
      code: 'E_CLAIM_COUNT',
    });
  }
}

export function partitionsMismatch(topic: string, existing: number, wanted: number): ConfigError {
  return new ConfigError(
    `topic "${topic}" exists with ${existing} partitions, not ${wanted}; the partition count is fixed once a ` +
      `topic exists: configure ${existing}, or use a new topic name`,
    { code: 'E_TOPIC_PARTITIONS' },
  );
}

export function topicUnknown(topic: string): FatalError {
  return new FatalError(`topic "${topic}" does not exist; it is created when a pipeline that writes it starts`, {
    code: 'E_TOPIC_UNKNOWN',
  });
}

export function subscriptionUnknown(topic: string, subscription: string): FatalError {
  return new FatalError(
    `subscription "${subscription}" does not exist on topic "${topic}"; it is created when its sink starts ` +
      `(or was deleted meanwhile)`,
    { code: 'E_SUBSCRIPTION_UNKNOWN' },
  );
}

export function checkPartition(topic: string, partitions: number, partition: number): void {
  if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
    throw new ConfigError(
      `topic "${topic}" has partitions 0 to ${partitions - 1}; there is no partition ${partition}`,
      { code: 'E_PARTITION_RANGE' },
    );
  }
}

/** The stream id of an event id, checked to belong to `partition`. */
export function streamIdIn(topic: string, partition: number, eventId: string): string {
  let parsed: { partition: number; streamId: string };
  try {
    parsed = parseEventId(eventId);
  } catch (err) {
    throw new ConfigError(`topic "${topic}": ${(err as Error).message}`, { code: 'E_EVENT_ID' });
  }
  if (parsed.partition !== partition) {
    throw new ConfigError(
      `topic "${topic}": event id ${eventId} belongs to partition ${parsed.partition}, not ${partition}`,
      { code: 'E_EVENT_ID' },
    );
  }
  return parsed.streamId;
}

/** The partitions a read covers: the one asked for, else the one its id bounds name, else all. */
export function readPartitions(topic: string, partitions: number, options: ReadOptions): number[] {
  const bound = options.fromId ?? options.afterId ?? options.toId;
  let partition = options.partition;
  if (partition === undefined && bound !== undefined) {
    try {
      partition = parseEventId(bound).partition;
    } catch (err) {
      throw new ConfigError(`topic "${topic}": ${(err as Error).message}`, { code: 'E_EVENT_ID' });
    }
  }
  if (partition === undefined) return Array.from({ length: partitions }, (_, p) => p);
  checkPartition(topic, partitions, partition);
  return [partition];
}

/**
 * Refuses a batch holding an event that could not be stored faithfully, before anything of it is written, so
 * that the append stays all or nothing.
 */
export function checkEvents(topic: string, events: readonly SluiceEvent[]): void {
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    let problem: string | undefined;
    if (e === null || typeof e !== 'object') problem = 'it is not an event object';
    else if (typeof e.ts !== 'number' || !Number.isFinite(e.ts))
      problem = `its ts ${String(e.ts)} is not a finite number`;
    else if (e.key !== null && typeof e.key !== 'string')
      problem = `its key is a ${typeof e.key}, not a string or null`;
    else if (e.headers === null || typeof e.headers !== 'object') problem = 'its headers are not an object';
    else if (!hasStringValues(e.headers)) problem = 'a header value is not a string';
    if (problem !== undefined) {
      throw new RecordError(
        `append to topic "${topic}" refused: event ${i} of the batch cannot be stored: ${problem}`,
        {
          code: 'E_EVENT_INVALID',
          details: { index: i },
        },
      );
    }
  }
}

// Every event of every append passes here: a loop over the keys allocates nothing, unlike Object.values.
function hasStringValues(headers: Record<string, unknown>): boolean {
  for (const name in headers) if (Object.hasOwn(headers, name) && typeof headers[name] !== 'string') return false;
  return true;
}

export function storageClosed(kind: string): FatalError {
  return new FatalError(`the ${kind} storage is closed; create a new one to go on`, { code: 'E_STORAGE_CLOSED' });
}
