// /readyz follows Redis: ready while it answers, 503 naming storage while it is away, ready again once it is back.
// A throwaway redis-server of the test's own is stopped, never the machine's.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sequencePipeline, startWorker } from '../chaos/sequence-pipeline.js';
import { type SluiceProcess, waitFor } from '../harness/fleet.js';
import { RedisServer } from '../harness/redis-server.js';

let redis: RedisServer | undefined;
let worker: SluiceProcess | undefined;

afterAll(async () => {
  worker?.kill('SIGKILL');
  await worker?.exited;
  await redis?.stop();
});

async function readiness(url: string): Promise<{ status: number; reasons: string[] }> {
  const res = await fetch(`${url}/readyz`);
  const body = (await res.json()) as { reasons?: string[] };
  return { status: res.status, reasons: body.reasons ?? [] };
}

describe('/readyz', () => {
  it('turns unready when Redis goes away and ready again when it is back', async () => {
    // With an append-only file the topics outlive the outage, as a production Redis's do.
    redis = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const pipeline = sequencePipeline({
      redisUrl: redis.url,
      total: 1_000_000,
      rate: 50,
      sinks: (dir) => `      - { type: file, name: out, file: "${join(dir, 'out.ndjson')}" }\n`,
    });
    worker = await startWorker(pipeline, 'w', ['--admin', '0']);
    const url = await worker.adminUrl(60_000);
    expect(await readiness(url)).toEqual({ status: 200, reasons: [] });

    await redis.halt();
    let unready = { status: 0, reasons: [] as string[] };
    await waitFor(
      async () => {
        unready = await readiness(url);
        return unready.status === 503;
      },
      30_000,
      '/readyz to answer 503',
    );
    expect(unready.reasons.join('; ')).toMatch(/storage \(redis\) unreachable/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);

    await redis.resume();
    await waitFor(async () => (await readiness(url)).status === 200, 60_000, '/readyz to answer 200 again');
  }, 300_000);
});
