// A poll source plugin to start from. The runtime stores the checkpoint you return together with the events,
// so a restart resumes exactly where the last stored poll ended. Name it in a pipeline file:
//   plugins: [./counter-source.ts]
//   source: { type: counter, upTo: 100 }
import { createEvent, defineSource, z } from 'sluice';

export default defineSource({
  name: 'counter',
  summary: 'Count from 1 up to a limit, a few numbers per poll.',
  config: z.object({
    upTo: z.number().int().positive().describe('Last number; then the source is done.'),
    perPoll: z.number().int().positive().default(10).describe('Numbers per poll.'),
    interval: z.number().int().positive().default(100).describe('Milliseconds between polls.'),
  }),
  create: (config) => ({
    intervalMs: config.interval,
    async poll(checkpoint) {
      const last = typeof checkpoint === 'number' ? checkpoint : 0;
      if (last >= config.upTo) return { events: [], checkpoint: last, done: true };
      const next = Math.min(config.upTo, last + config.perPoll);
      const events = [];
      for (let n = last + 1; n <= next; n++) events.push(createEvent({ key: `n${n % 4}`, value: n }));
      return { events, checkpoint: next, hasMore: next < config.upTo };
    },
  }),
});
