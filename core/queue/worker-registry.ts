// Who is in the fleet: each worker process writes a heartbeat (host, pid, start time, version, the jobs it holds)
// that expires unless renewed, and indexes it in a sorted set scored by that expiry. `sluice status` lists the
// live ones; a worker killed with SIGKILL drops out of the list within one heartbeat TTL.
import type { Logger } from '../plugin.js';
import type { RedisKeys } from '../storage/keys.js';
import type { RedisClient } from '../storage/redis-connection.js';

/** A delivery job a worker is running now. */
export interface HeldJob {
  id: string;
  pipeline: string;
  sink: number;
  attempt: number;
  /** When this attempt started, ms since the epoch. */
  since: number;
}

/**
 * Events a worker stored (by pipeline) and delivered (by subscription) since it started. A console sums the rates
 * of every live worker's counts, so its rates are the fleet's, not only those of the process it talks to.
 */
export interface WorkerEventCounts {
  in: Record<string, number>;
  out: Record<string, number>;
  /**
   * The end-to-end latency histogram by subscription: cumulative counts since the start by bucket upper bound in
   * seconds (`"+Inf"` the last), so a console can take the fleet's p99 from every worker's observations.
   */
  latency?: Record<string, Record<string, number>>;
}

export interface WorkerInfo {
  id: string;
  host: string;
  pid: number;
  /** When the process joined the fleet, ms since the epoch. */
  startedAt: number;
  version: string;
  jobs: HeldJob[];
  /** When this heartbeat was written, ms since the epoch. */
  seenAt: number;
  /** What the worker has counted, when it delivers (absent from workers of older versions). */
  events?: WorkerEventCounts;
  /** Groups of exclusive loops the worker runs: their leases are spread over the workers that name the group. */
  groups?: string[];
}

export interface WorkerHeartbeatOptions {
  /** How often the heartbeat is written, ms. Default 3000. */
  everyMs?: number;
  /** How long a heartbeat lives without renewal, ms. Default three periods. */
  ttlMs?: number;
  logger: Logger;
}

export class WorkerHeartbeat {
  private readonly everyMs: number;
  private readonly ttlMs: number;
  private timer?: NodeJS.Timeout;
  private isFailing = false;
  private countEvents?: () => WorkerEventCounts | Promise<WorkerEventCounts>;
  private listGroups?: () => string[];

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly self: Omit<WorkerInfo, 'jobs' | 'seenAt'>,
    private readonly heldJobs: () => HeldJob[],
    private readonly options: WorkerHeartbeatOptions,
  ) {
    this.everyMs = options.everyMs ?? 3000;
    this.ttlMs = options.ttlMs ?? this.everyMs * 3;
  }

  /** From now on each heartbeat carries these counts. */
  reportEvents(count: () => WorkerEventCounts | Promise<WorkerEventCounts>): void {
    this.countEvents = count;
  }

  /** From now on each heartbeat names these groups. */
  reportGroups(list: () => string[]): void {
    this.listGroups = list;
  }

  /** Writes the heartbeat now and then every period. */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.beat(), this.everyMs);
    void this.beat();
  }

  /** Stops and removes this worker from the list (nothing to do if it never started). */
  async stop(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    try {
      await this.client.multi().del(this.keys.worker(this.self.id)).zrem(this.keys.workerIndex(), this.self.id).exec();
    } catch (err) {
      this.options.logger.warn({ worker: this.self.id, err: String(err) }, 'could not remove the worker heartbeat');
    }
  }

  private async beat(): Promise<void> {
    const events = await this.countEvents?.();
    const now = Date.now();
    const info: WorkerInfo = {
      ...this.self,
      jobs: this.heldJobs(),
      seenAt: now,
      events,
      groups: this.listGroups?.(),
    };
    try {
      await this.client
        .multi()
        .set(this.keys.worker(this.self.id), JSON.stringify(info), 'PX', this.ttlMs)
        .zadd(this.keys.workerIndex(), now + this.ttlMs, this.self.id)
        .zremrangebyscore(this.keys.workerIndex(), '-inf', now)
        .exec();
      if (this.isFailing) this.options.logger.info({ worker: this.self.id }, 'worker heartbeat written again');
      this.isFailing = false;
    } catch (err) {
      // Redis being away is reported once per outage; the next beat after it returns restores the entry.
      if (!this.isFailing) {
        this.options.logger.warn({ worker: this.self.id, err: String(err) }, 'could not write the worker heartbeat');
      }
      this.isFailing = true;
    }
  }
}

/** The workers whose heartbeat has not expired, oldest first. */
export async function listWorkers(client: RedisClient, keys: RedisKeys): Promise<WorkerInfo[]> {
  const ids = await client.zrangebyscore(keys.workerIndex(), Date.now(), '+inf');
  if (ids.length === 0) return [];
  const values = await client.mget(ids.map((id) => keys.worker(id)));
  const workers: WorkerInfo[] = [];
  for (const value of values) {
    if (value !== null) workers.push(JSON.parse(value) as WorkerInfo);
  }
  return workers.sort((a, b) => a.startedAt - b.startedAt);
}
