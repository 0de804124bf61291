// A fleet of `sluice worker` processes on a throwaway three-master Redis Cluster: two topics, each filled by a
// generate source and delivered to file sinks, land on different masters, and every sequence number of both
// arrives. `sluice status`, given one node's URL, sees the topics and the workers. The workers are then stopped
// with SIGTERM and exit cleanly.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisKeys } from '../../core/storage/keys.js';
import { deliveryReport, SluiceProcess, sequenceCounts, waitFor } from '../harness/fleet.js';
import { RedisCluster } from '../harness/redis-cluster.js';
import { uniquePrefix } from '../harness/redis-prefix.js';
import { runCli } from '../harness/run-cli.js';

// The cluster is thrown away with everything stored in it.
let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await RedisCluster.start(3);
}, 90_000);
afterAll(() => cluster?.stop());

const prefix = uniquePrefix('fleet-cluster');

const TOPICS = ['a', 'b'];
const PER_TOPIC = 20_000;

function fleetConfig(url: string) {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-fleet-cluster-'));
  const file = join(dir, 'fleet.yaml');
  const pipeline = (topic: string) => `
  ingest-${topic}:
    source: { type: generate, preset: sequence, count: ${PER_TOPIC}, rate: 0, batchSize: 1000, keys: 16 }
    topic: ${topic}
    sinks:
      - type: file
        name: out
        file: "${join(dir, topic)}/\${WORKER_NAME}.ndjson"
        batch: { maxEvents: 500 }
        retry: { attempts: 50, baseMs: 50, capMs: 1000 }
`;
  // Each worker appends to a file of its own, so a batch delivered twice shows up twice.
  writeFileSync(
    file,
    `redis: { url: "${url}", prefix: "${prefix}", cluster: true }
pipelines:${TOPICS.map(pipeline).join('')}`,
  );
  return { file, dir };
}

/** The masters (by index) holding keys of `topic`. */
async function mastersOf(topic: string): Promise<number[]> {
  const slot = Number(await cluster.admin.call('CLUSTER', 'KEYSLOT', new RedisKeys(prefix).partition(topic, 0)));
  const where: number[] = [];
  for (const [i, node] of cluster.admin.nodes('master').entries()) {
    if (Number(await node.call('CLUSTER', 'COUNTKEYSINSLOT', slot)) > 0) where.push(i);
  }
  return where;
}

describe('a worker fleet on a Redis Cluster', () => {
  it('delivers every event of topics spread over several masters, and stops cleanly on SIGTERM', async () => {
    // The URL names one node; the workers discover the others.
    const url = `redis://127.0.0.1:${cluster.nodes[1].port}`;
    const { file, dir } = fleetConfig(url);
    const workers = ['w1', 'w2', 'w3'].map((name) =>
      SluiceProcess.start(['worker', file, '--grace', '20s', '--concurrency', '4'], join(dir, `${name}.log`), {
        WORKER_NAME: name,
      }),
    );
    try {
      for (const topic of TOPICS) {
        await waitFor(
          () => sequenceCounts(join(dir, topic)).size >= PER_TOPIC,
          150_000,
          `every sequence number of topic ${topic} to arrive`,
        );
      }
      await new Promise((r) => setTimeout(r, 1000));
      for (const topic of TOPICS) {
        const report = deliveryReport(sequenceCounts(join(dir, topic)), PER_TOPIC);
        console.log(`topic ${topic}: ${PER_TOPIC} events, missing ${report.missing}, duplicates ${report.duplicates}`);
        expect(report.missing).toBe(0);
      }
      const masters = await Promise.all(TOPICS.map(mastersOf));
      // Each topic lives on one master, and the two are on different ones.
      for (const where of masters) expect(where).toHaveLength(1);
      expect(new Set(masters.flat()).size).toBe(TOPICS.length);
      const status = await runCli(['status', '--redis', url, '--prefix', prefix, '--json'], { timeoutMs: 60_000 });
      expect(status.stderr).toBe('');
      const { topics, workers: live } = JSON.parse(status.stdout) as {
        topics: Array<{ name: string; length: number }>;
        workers: unknown[];
      };
      for (const topic of TOPICS) expect(topics.find((t) => t.name === topic)?.length).toBe(PER_TOPIC);
      expect(live).toHaveLength(workers.length);
    } catch (err) {
      for (const w of workers) console.log(`--- ${w.logFile}\n${w.log().slice(-3000)}`);
      throw err;
    }
    for (const w of workers) w.kill('SIGTERM');
    const exits = await Promise.all(workers.map((w) => w.exited));
    for (const e of exits) expect(e.code).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);
});
