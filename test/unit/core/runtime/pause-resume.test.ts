// Pause, resume and restart of a pipeline or one sink in an embedded engine: a paused sink is given no work and
// loses nothing, its source stops while the pipeline is paused, and a restarted sink delivers with a new instance.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { builtins } from '../../../../builtins.js';
import { loadConfig } from '../../../../core/config/load.js';
import { MemoryQueue } from '../../../../core/queue/memory.js';
import { Engine } from '../../../../core/runtime/engine.js';
import { silentLogger } from '../../../../core/runtime/logger.js';
import { MemoryStorage } from '../../../../core/storage/memory.js';
import { waitFor } from '../../../harness/fleet.js';
import { received, resetTestPlugins, testPlugins } from '../../../harness/test-plugins.js';

let engine: Engine | undefined;
beforeEach(() => resetTestPlugins());
afterEach(async () => {
  await engine?.stop(0);
  engine = undefined;
});

async function startEngine(count: number, source = `{ type: test-list, count: ${count}, batch: 10 }`): Promise<Engine> {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-pause-')), 'p.yaml');
  writeFileSync(
    file,
    `pipelines:
  p:
    source: ${source}
    topic: t
    sinks:
      - { type: test-record, name: a, id: a }
      - { type: test-record, name: b, id: b }
`,
  );
  const config = await loadConfig([file], { builtins: [...builtins, ...testPlugins], env: {} });
  engine = new Engine({
    config,
    storage: new MemoryStorage(),
    queue: new MemoryQueue({ logger: silentLogger }),
    logger: silentLogger,
  });
  await engine.start();
  return engine;
}

const count = (id: string) => (received.get(id) ?? []).length;

describe('pause and resume', () => {
  it('holds one sink while the other delivers, then delivers everything it held once', async () => {
    const e = await startEngine(2000);
    await e.pause('p', 'b');
    await waitFor(() => count('a') === 2000, 10_000, 'sink a to get every event');
    expect(count('b')).toBeLessThan(2000);
    const held = count('b');
    expect(e.describePipelines()[0].sinks.map((s) => s.state)).toEqual(['running', 'paused']);
    await new Promise((r) => setTimeout(r, 300));
    expect(count('b')).toBe(held);
    await e.resume('p', 'b');
    await waitFor(() => count('b') === 2000, 10_000, 'sink b to catch up');
    expect(new Set((received.get('b') ?? []).map((ev) => (ev.value as { n: number }).n)).size).toBe(2000);
  });

  it('stops the source while the pipeline is paused', async () => {
    const e = await startEngine(0, '{ type: generate, preset: sequence, count: 100000, rate: 200 }');
    await waitFor(() => count('a') > 0, 10_000, 'the first events');
    await e.pause('p');
    const stored = () => e.metrics.totals().in;
    await new Promise((r) => setTimeout(r, 200));
    const atPause = stored();
    await new Promise((r) => setTimeout(r, 300));
    expect(stored()).toBe(atPause);
    expect(e.describePipelines()[0].state).toBe('paused');
    await e.resume('p');
    await waitFor(() => stored() > atPause, 10_000, 'the source to go on');
  });

  it('refuses a pipeline or sink that is not there, naming those that are', async () => {
    const e = await startEngine(10);
    await expect(e.pause('nope')).rejects.toThrow(/no pipeline "nope" runs here; pipelines: p/);
    await expect(e.pause('p', 'c')).rejects.toThrow(/pipeline "p" has no sink "c"; sinks: a, b/);
  });

  it('restarts a sink with a fresh instance and keeps delivering', async () => {
    const e = await startEngine(100);
    await waitFor(() => count('a') === 100, 10_000, 'the first run');
    const before = e.pipelines[0].sinks[0].instance;
    await e.restart('p', 'a');
    expect(e.pipelines[0].sinks[0].instance).not.toBe(before);
    expect(e.pipelines[0].sinks[1].instance).toBeDefined();
  });

  it('restarts a whole pipeline with a fresh poll source that goes on from its checkpoint', async () => {
    const e = await startEngine(0, '{ type: generate, preset: sequence, count: 100000, rate: 200 }');
    await waitFor(() => count('a') > 0, 10_000, 'the first events');
    const source = e.pipelines[0].source;
    await e.restart('p');
    expect(e.pipelines[0].source).not.toBe(source);
    const stored = e.metrics.totals().in;
    await waitFor(() => e.metrics.totals().in > stored, 10_000, 'the new source to produce');
    await waitFor(() => count('a') === e.metrics.totals().in, 10_000, 'delivery to catch up');
    const seqs = (received.get('a') ?? []).map((ev) => (ev.value as { seq: number }).seq);
    expect(new Set(seqs).size).toBe(seqs.length);
  });
});
