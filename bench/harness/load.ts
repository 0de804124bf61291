// Runs the load client process (load-client.ts) once and returns what it sent.
import { spawnScript } from './child.js';
import type { LoadSpec } from './load-client.js';

export interface LoadResult {
  accepted: number;
  bytes: number;
  retries: number;
  statuses: Record<string, number>;
  startedAt: number;
  endedAt: number;
  /** CPU time the client used while sending (user + system), seconds. */
  cpuSeconds: number;
  /** Paced runs: how far behind schedule the client fell at worst, ms. */
  lateMs: number;
}

export async function sendLoad(label: string, spec: LoadSpec): Promise<LoadResult> {
  const client = spawnScript('harness/load-client.ts', spec, { label });
  return (await client.result(spec.maxMs + 20_000)) as unknown as LoadResult;
}

/** Events sent before each measured run, not counted: the fresh processes' JIT and connections warm up. */
export const warmupEvents = (smoke: boolean): number => (smoke ? 200 : 5_000);
