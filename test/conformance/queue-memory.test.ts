import { MemoryQueue } from '../../core/queue/memory.js';
import { MemoryLockTable } from '../../core/queue/memory-lock-table.js';
import { describeQueueConformance, recordingLogger } from './queue.js';

describeQueueConformance(
  'memory',
  () => {
    // Members share one lock table, as processes of a fleet share Redis; each keeps its own jobs.
    const locks = new MemoryLockTable();
    const members: MemoryQueue[] = [];
    return {
      member: (logger = recordingLogger().logger) => {
        const q = new MemoryQueue({ locks, logger, leaseMs: 1000, exclusiveRetryMs: 100 });
        members.push(q);
        return q;
      },
      cleanup: async () => {
        await Promise.all(members.map((q) => q.close(0)));
      },
    };
  },
  { sharesJobs: false, takeoverMs: 1000 },
);
