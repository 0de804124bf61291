// The fleet status snapshot: topics with their subscriptions (lag, pending), dead-letter topics, job counts and
// live workers. `sluice status`, GET /api/status and a console all show this one object.
import type { QueueCounts } from '../queue/queue.js';
import type { WorkerInfo } from '../queue/worker-registry.js';
import type { Storage, TopicInfo } from '../storage/storage.js';

export interface FleetSource {
  storage: Storage;
  workers(): Promise<WorkerInfo[]>;
  jobCounts(): Promise<QueueCounts>;
}

export interface TopicStatus extends Omit<TopicInfo, 'subscriptions'> {
  subscriptions: Array<{ name: string; lag: number; pending: number }>;
  isDeadLetter: boolean;
}

export interface FleetStatus {
  topics: TopicStatus[];
  workers: WorkerInfo[];
  jobs: QueueCounts;
}

export async function readFleetStatus(source: FleetSource): Promise<FleetStatus> {
  const { storage } = source;
  const topics: TopicStatus[] = [];
  for (const name of await storage.listTopics()) {
    const info = await storage.topicInfo(name);
    const subscriptions = [];
    for (const s of info.subscriptions) {
      const positions = await storage.positions(name, s);
      subscriptions.push({
        name: s,
        lag: positions.reduce((n, p) => n + p.lag, 0),
        pending: positions.reduce((n, p) => n + p.pending, 0),
      });
    }
    topics.push({ ...info, subscriptions, isDeadLetter: name.endsWith('.dlq') });
  }
  return { topics, workers: await source.workers(), jobs: await source.jobCounts() };
}
