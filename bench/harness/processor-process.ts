// Measures each processor alone, in this process: the built-in processor's `process(batch)` against the same
// work written plainly (bench/baselines/processor-work.ts), on batches of 500 events of 200 B and 1 KB. The two
// alternate for the same time on the same inputs; the result is events per second of each.
import { builtins } from '../../builtins.js';
import type { SluiceEvent } from '../../core/event.js';
import type { PluginContext, ProcessorInstance } from '../../core/plugin.js';
import { PluginRegistry } from '../../core/registry.js';
import { silentLogger } from '../../core/runtime/logger.js';
import { detachedPluginMetrics } from '../../core/runtime/plugin-metrics.js';
import { AES_KEY, decrypt, encrypt, gunzip, gzip1, jsonDecode, jsonEncode } from '../baselines/processor-work.js';
import { eventValue, keyOf } from './payload.js';

const BATCH = 500;
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

/** Runs `fn` over and over for `ms`, returns events per second. */
async function rate(ms: number, fn: () => unknown): Promise<number> {
  let batches = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    await fn();
    batches++;
    now = performance.now();
  }
  return (batches * BATCH * 1000) / (now - start);
}

const results: Record<string, { sluice: number; bare: number }> = {};
for (const bytes of [200, 1024]) {
  for (const c of CASES) {
    const processor = await create(c.plugin, c.config);
    let sluiceInput: SluiceEvent[];
    let bareInput: unknown[];
    if (c.name === 'aes-gcm decrypt') {
      // Ciphertexts each side made itself: Sluice's layout carries a key id the bare one does not.
      const sealer = await create('aes-gcm', { keys });
      const plain = Array.from({ length: BATCH }, (_, i) => gz(i, bytes));
      const sealed = await sealer.process(toEvents(plain));
      sluiceInput = Array.isArray(sealed) ? sealed : sealed.events;
      bareInput = plain.map((p) => encrypt(p));
    } else {
      const inputs = Array.from({ length: BATCH }, (_, i) => c.input(i, bytes));
      sluiceInput = toEvents(inputs.map((x) => x.sluice));
      bareInput = inputs.map((x) => x.bare);
    }
    const runSluice = () => processor.process(sluiceInput);
    const runBare = () => {
      const out = new Array(bareInput.length);
      for (let i = 0; i < bareInput.length; i++) out[i] = c.bare(bareInput[i]);
      return out;
    };
    // Warm up both, then alternate halves so that a drift of the machine touches both alike.
    await rate(spec.msPerSide / 4, runSluice);
    await rate(spec.msPerSide / 4, runBare);
    const s1 = await rate(spec.msPerSide / 2, runSluice);
    const b1 = await rate(spec.msPerSide / 2, runBare);
    const b2 = await rate(spec.msPerSide / 2, runBare);
    const s2 = await rate(spec.msPerSide / 2, runSluice);
    results[`${c.name} ${bytes} B`] = { sluice: (s1 + s2) / 2, bare: (b1 + b2) / 2 };
    await processor.close?.();
  }
}
process.stdout.write(`@result ${JSON.stringify(results)}\n`);
