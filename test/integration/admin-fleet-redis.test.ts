// The admin API of a fleet of two workers on the machine's Redis: a pause sent to one worker stops delivery on
// both and resume continues with nothing lost; the token guards the API but not the probes and the scrape;
// offsets move with a dry run that says what would be delivered again.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deletePipelineKeys, sequencePipeline, startWorker } from '../chaos/sequence-pipeline.js';
import { deliveryReport, type SluiceProcess, sequenceCounts, waitFor } from '../harness/fleet.js';
import { parsePrometheusText, sumOf } from '../harness/prometheus-text.js';
import { TEST_REDIS_URL } from '../harness/redis-prefix.js';

const TOTAL = 3000;
const TOKEN = 'fleet-admin-token';
const workers: SluiceProcess[] = [];

afterAll(async () => {
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
  await deletePipelineKeys();
});

const api = async (url: string, method = 'GET', body?: unknown, token: string | null = TOKEN) => {
  const res = await fetch(url, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('the admin API of a fleet', () => {
  it('pauses delivery on every worker, resumes with nothing lost, and moves offsets with a dry run', async () => {
    const pipeline = sequencePipeline({
      redisUrl: TEST_REDIS_URL,
      total: TOTAL,
      rate: 100,
      sinks: (dir) => `      - type: file
        name: out
        file: "${join(dir, 'out')}/\${WORKER_NAME}.ndjson"
        batch: { maxEvents: 50 }
`,
    });
    const out = join(pipeline.dir, 'out');
    const args = ['--admin', '0', '--admin-token', TOKEN];
    workers.push(await startWorker(pipeline, 'a', args), await startWorker(pipeline, 'b', args));
    const [a, b] = await Promise.all(workers.map((w) => w.adminUrl(60_000)));
    const delivered = () => [...sequenceCounts(out).values()].reduce((n, c) => n + c, 0);

    expect((await api(`${a}/api/pipelines`, 'GET', undefined, null)).status).toBe(401);
    expect((await api(`${a}/api/pipelines`, 'GET', undefined, 'wrong')).status).toBe(401);
    expect((await api(`${a}/healthz`, 'GET', undefined, null)).status).toBe(200);

    await waitFor(() => delivered() >= 300, 120_000, 'some events to be delivered');
    const paused = await api(`${a}/api/pipelines/seq-out/pause`, 'POST');
    expect(paused.status).toBe(200);
    expect(paused.body.inFlight).toBe(0);
    await waitFor(
      async () => {
        const { body } = await api(`${b}/api/pipelines`);
        return (body.pipelines as Array<{ name: string; state: string }>).some(
          (p) => p.name === 'seq-out' && p.state === 'paused',
        );
      },
      10_000,
      'worker b to see the pause',
    );
    const atPause = delivered();
    await new Promise((r) => setTimeout(r, 2000));
    expect(delivered()).toBe(atPause);
    const status = await api(`${b}/api/status`);
    const seq = (status.body.topics as Array<{ name: string; subscriptions: Array<{ lag: number }> }>).find(
      (t) => t.name === 'seq',
    );
    expect(seq?.subscriptions[0].lag).toBeGreaterThan(0);
    expect((status.body.workers as unknown[]).length).toBe(2);
    expect(status.body.paused).toEqual(['seq-out']);

    expect((await api(`${b}/api/pipelines/seq-out/resume`, 'POST')).status).toBe(200);
    await waitFor(() => deliveryReport(sequenceCounts(out), TOTAL).missing === 0, 120_000, 'every event after resume');
    expect(deliveryReport(sequenceCounts(out), TOTAL)).toMatchObject({ missing: 0, duplicates: 0 });

    const seek = `${a}/api/topics/seq/subscriptions/seq-out.out/seek`;
    const dry = await api(seek, 'POST', { to: 'beginning', dryRun: true });
    expect(dry.body).toMatchObject({ isDryRun: true, before: 0, after: TOTAL, redelivered: TOTAL, skipped: 0 });
    const offsets = await api(`${a}/api/offsets?topic=seq`);
    const positions = (
      offsets.body.topics as Array<{
        subscriptions: Array<{ subscription: string; partitions: Array<{ lag: number }> }>;
      }>
    )[0].subscriptions.find((s) => s.subscription === 'seq-out.out')?.partitions;
    expect(positions?.reduce((n, p) => n + p.lag, 0)).toBe(0);
    expect((await api(seek, 'POST', { to: 'sometime' })).status).toBe(400);

    const scrapes = await Promise.all(
      [a, b].map(async (url) => parsePrometheusText(await (await fetch(`${url}/metrics`)).text())),
    );
    expect(scrapes.reduce((n, s) => n + sumOf(s, 'sluice_events_out_total', { pipeline: 'seq-out' }), 0)).toBe(TOTAL);
  }, 300_000);
});
