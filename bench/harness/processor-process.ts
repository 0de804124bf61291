// Measures each processor alone, in this process: the built-in processor's `process(batch)` against the same
// work written plainly (bench/baselines/processor-work.ts), on batches of 500 events of 200 B and 1 KB. The two
// alternate for the same time on the same inputs; the result is events per CPU second of each. The plain side
// does what a processor must and no more: a new event per record with its value replaced, and a record whose
// work throws set aside with its error while the others go on.
import { setFlagsFromString } from 'node:v8';
import { builtins } from '../../builtins.js';
import type { SluiceEvent } from '../../core/event.js';
import type { PluginContext, ProcessorInstance } from '../../core/plugin.js';
import { PluginRegistry } from '../../core/registry.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { detachedPluginMetrics } from '../../core/runtime/plugin-metrics.js';
import { AES_KEY, decrypt, encrypt, gunzip, gzip1, jsonDecode, jsonEncode } from '../baselines/processor-work.js';
import { eventValue, keyOf } from './payload.js';
import { summarize } from './stats.js';

const BATCH = 500;

// V8 moves an object literal's allocations to the old generation for good once a scavenge finds nearly all of
// them alive, and a scavenge that falls while a batch of 500 new events is being built finds exactly that. Which
// side's literal it strikes first is chance; that side then runs at half speed for the rest of the process (a
// full mark-compact every few batches), which read as ratios of 0.45 or 2.0 in about one process in three. Both
// sides run without it, so that the ratio compares the work and not the draw.
setFlagsFromString('--no-allocation-site-pretenuring');
const spec = JSON.parse(process.argv[2]) as { msPerSide: number };

interface Case {
  name: string;
  plugin: string;
  config: Record<string, unknown>;
  /** The input value of event i for Sluice and for the bare work (they differ only for decrypt). */
  input(i: number, bytes: number): { sluice: unknown; bare: unknown };
  bare(value: unknown): unknown;
}

const json = (i: number, bytes: number) => jsonEncode(eventValue(i, bytes));
const gz = (i: number, bytes: number) => gzip1(json(i, bytes));
const keys = { bench: AES_KEY.toString('base64') };

const CASES: Case[] = [
  {
    name: 'json decode',
    plugin: 'json',
    config: { action: 'decode' },
    input: (i, b) => ({ sluice: json(i, b), bare: json(i, b) }),
    bare: (v) => jsonDecode(v as Buffer),
  },
  {
    name: 'json encode',
    plugin: 'json',
    config: { action: 'encode' },
    input: (i, b) => ({ sluice: eventValue(i, b), bare: eventValue(i, b) }),
    bare: jsonEncode,
  },
  {
    name: 'gzip level 1',
    plugin: 'gzip',
    config: { level: 1 },
    input: (i, b) => ({ sluice: json(i, b), bare: json(i, b) }),
    bare: (v) => gzip1(v as Buffer),
  },
  {
    name: 'gunzip',
    plugin: 'gzip',
    config: { action: 'decompress' },
    input: (i, b) => ({ sluice: gz(i, b), bare: gz(i, b) }),
    bare: (v) => gunzip(v as Buffer),
  },
  {
    name: 'aes-gcm encrypt',
    plugin: 'aes-gcm',
    config: { keys },
    input: (i, b) => ({ sluice: gz(i, b), bare: gz(i, b) }),
    bare: (v) => encrypt(v as Buffer),
  },
  {
    name: 'aes-gcm decrypt',
    plugin: 'aes-gcm',
    config: { action: 'decrypt', keys },
    input: () => ({ sluice: undefined, bare: undefined }),
    bare: (v) => decrypt(v as Buffer),
  },
];

const ctx: PluginContext = {
  pipeline: 'bench',
  component: 'processors[0]',
  logger: silentLogger,
  signal: new AbortController().signal,
  state: {
    get: async () => undefined,
    set: async () => {},
    setIfAbsent: async () => true,
    delete: async () => {},
  },
  mode: 'embedded',
  baseDir: process.cwd(),
  metrics: detachedPluginMetrics({ plugin: 'bench', pipeline: 'bench', component: 'processors[0]' }),
};

async function create(name: string, config: Record<string, unknown>): Promise<ProcessorInstance> {
  const plugin = await new PluginRegistry(builtins).load('processor', name);
  if (!plugin) throw new Error(`processor ${name} is not built in`);
  return plugin.create(plugin.config.parse(config), ctx);
}

const toEvents = (values: unknown[]): SluiceEvent[] =>
  values.map((value, i) => ({ key: keyOf(i), value, ts: 1_700_000_000_000 + i, headers: {} }));

/**
 * Runs `fn` over and over until this process has used `ms` of CPU time, returns events per CPU second: on a
 * shared machine the wall clock also counts the time spent waiting for a core, which swings the ratios far more
 * than the work does, and a slice of wall time holds less work the busier the machine is.
 */
async function rate(ms: number, fn: () => unknown): Promise<number> {
  let batches = 0;
  const cpu = process.cpuUsage();
  let usedUs = 0;
  while (usedUs < ms * 1000) {
    await fn();
    batches++;
    const used = process.cpuUsage(cpu);
    usedUs = used.user + used.system;
  }
  return (batches * BATCH * 1e6) / usedUs;
}

const SLICES = 8;

const results: Record<string, { sluice: number; bare: number }> = {};
for (const bytes of [200, 1024]) {
  for (const c of CASES) {
    const processor = await create(c.plugin, c.config);
    let sluiceInput: SluiceEvent[];
    let bareInput: SluiceEvent[];
    if (c.name === 'aes-gcm decrypt') {
      // Ciphertexts each side made itself: Sluice's layout carries a key id the bare one does not.
      const sealer = await create('aes-gcm', { keys });
      const plain = Array.from({ length: BATCH }, (_, i) => gz(i, bytes));
      const sealed = await sealer.process(toEvents(plain));
      sluiceInput = Array.isArray(sealed) ? sealed : sealed.events;
      bareInput = toEvents(plain.map((p) => encrypt(p)));
    } else {
      const inputs = Array.from({ length: BATCH }, (_, i) => c.input(i, bytes));
      sluiceInput = toEvents(inputs.map((x) => x.sluice));
      bareInput = toEvents(inputs.map((x) => x.bare));
    }
    const runSluice = () => processor.process(sluiceInput);
    const runBare = () => {
      const events: SluiceEvent[] = [];
      let rejected: Array<{ event: SluiceEvent; error: unknown }> | undefined;
      for (const e of bareInput) {
        try {
          events.push({ key: e.key, value: c.bare(e.value), ts: e.ts, headers: e.headers });
        } catch (error) {
          rejected ??= [];
          rejected.push({ event: e, error });
        }
      }
      return rejected ? { events, rejected } : { events };
    };
    // Warm up both, then alternate short slices (in ABBA order, so that a drift of the machine touches both
    // alike) and keep each side's median: a burst of load on a shared machine then spoils one slice, not a side.
    await rate(spec.msPerSide / 4, runSluice);
    await rate(spec.msPerSide / 4, runBare);
    const sluice: number[] = [];
    const bare: number[] = [];
    for (let slice = 0; slice < SLICES; slice++) {
      const [first, second] = slice % 2 === 0 ? [runSluice, runBare] : [runBare, runSluice];
      const a = await rate(spec.msPerSide / SLICES, first);
      const b = await rate(spec.msPerSide / SLICES, second);
      sluice.push(first === runSluice ? a : b);
      bare.push(first === runSluice ? b : a);
    }
    results[`${c.name} ${bytes} B`] = { sluice: summarize(sluice).median, bare: summarize(bare).median };
    await processor.close?.();
  }
}
process.stdout.write(`@result ${JSON.stringify(results)}\n`);
