// Starts the sink receiver process and reads its tally.
import { request } from 'undici';
import { type Child, spawnScript } from './child.js';

export interface ReceiverStats {
  count: number;
  bytes: number;
  requests: number;
  firstAt: number;
  lastAt: number;
  p50: number;
  p99: number;
  max: number;
}

export interface Receiver {
  /** Takes events as JSON or NDJSON. */
  url: string;
  /** Takes whole batches as NDJSON, gzipped and encrypted in the raw baseline's layout or the aes-gcm processor's. */
  sealedUrl(layout: 'raw' | 'sluice'): string;
  child: Child;
  stats(): Promise<ReceiverStats>;
  /** Starts a new tally; resolves with the one it ended. */
  reset(): Promise<ReceiverStats>;
  /** Resolves with the tally once `count` events arrived, or after `timeoutMs` with what arrived. */
  waitFor(count: number, timeoutMs: number): Promise<ReceiverStats>;
}

export async function startReceiver(): Promise<Receiver> {
  const child = spawnScript('harness/receiver.ts', {}, { label: 'receiver' });
  const { port } = (await child.ready()) as { port: number };
  const base = `http://127.0.0.1:${port}`;
  const stats = async () => {
    const res = await request(`${base}/stats`);
    return (await res.body.json()) as ReceiverStats;
  };
  return {
    url: `${base}/in`,
    sealedUrl: (layout) => `${base}/sealed/${layout}`,
    child,
    stats,
    async reset() {
      const res = await request(`${base}/reset`, { method: 'POST' });
      return (await res.body.json()) as ReceiverStats;
    },
    async waitFor(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const s = await stats();
        if (s.count >= count || Date.now() > deadline) return s;
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
