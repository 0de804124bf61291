// The fleet status snapshot: topics with their subscriptions (lag, pending), dead-letter topics, job counts and
// live workers. `sluice status`, GET /api/status and a console all show this one object.
import type { QueueCounts } from '../queue/queue.js';
import type { WorkerInfo } from '../queue/worker-registry.js';
import { CONTROL_SCOPE, FleetControl } from '../runtime/fleet-control.js';
import { deadLetterTopics } from '../runtime/topic-roles.js';
import type { Storage, TopicInfo } from '../storage/storage.js';
import { subscriptionState } from './subscriptions.js';

export interface FleetSource {
  storage: Storage;
  workers(): Promise<WorkerInfo[]>;
  jobCounts(): Promise<QueueCounts>;
}

export interface TopicStatus extends Omit<TopicInfo, 'subscriptions'> {
  /** `isUsed`: a running pipeline consumes it (see subscriptions.ts); `lastUsedAt` when it last did. */
  subscriptions: Array<{ name: string; lag: number; pending: number; isUsed: boolean; lastUsedAt: string | null }>;
  isDeadLetter: boolean;
}

export interface FleetStatus {
  topics: TopicStatus[];
  /** Paused pipelines (`gps`) and sinks (`gps/warehouse`), across the fleet. */
  paused: string[];
  workers: WorkerInfo[];
  jobs: QueueCounts;
}

export async function readFleetStatus(source: FleetSource): Promise<FleetStatus> {
  const { storage } = source;
  const deadLetters = new Set(await deadLetterTopics(storage));
  const topics: TopicStatus[] = [];
  for (const name of await storage.listTopics()) {
    const info = await storage.topicInfo(name);
    const subscriptions = [];
    for (const s of info.subscriptions) {
      const { lag, pending, isUsed, lastUsedAt } = await subscriptionState(storage, name, s);
      subscriptions.push({ name: s, lag, pending, isUsed, lastUsedAt });
    }
    topics.push({ ...info, subscriptions, isDeadLetter: deadLetters.has(name) });
  }
  const paused = [
    ...(await new FleetControl(storage.state(CONTROL_SCOPE)).read(await controlTargets(storage, topics))).paused,
  ].sort();
  return { topics, paused, workers: await source.workers(), jobs: await source.jobCounts() };
}

/**
 * What could be paused, read from storage alone (`sluice status` has no pipeline files): the pipelines that keep a
 * source checkpoint, and those with subscriptions (`<pipeline>.<sink>`, split at each dot since names may hold
 * dots) and their sinks.
 */
async function controlTargets(storage: Storage, topics: readonly TopicStatus[]): Promise<string[]> {
  const targets = new Set<string>();
  for (const t of topics) {
    for (const c of await storage.listCheckpoints(t.name)) targets.add(c.source);
    for (const s of t.subscriptions) {
      for (let i = s.name.indexOf('.'); i > 0; i = s.name.indexOf('.', i + 1)) {
        targets.add(s.name.slice(0, i));
        targets.add(`${s.name.slice(0, i)}/${s.name.slice(i + 1)}`);
      }
    }
  }
  return [...targets];
}
