// Scenario 4, each processor alone: the built-in processor's `process(batch)` against the same work written
// plainly, in batches of 500, in one process of its own per repetition (in-process: spawning a pipeline per
// processor would mostly measure start-up).
import { skipReason } from '../harness/availability.js';
import { spawnScript } from '../harness/child.js';
import type { RunContext, Scenario, ScenarioResult, VariantResult } from '../harness/scenario.js';
import { withTarget } from '../harness/scenario.js';
import { summarize } from '../harness/stats.js';

type Rates = Record<string, { sluice: number; bare: number }>;

export const processors: Scenario = {
  name: 'processors',
  title: '4. Each processor alone (in-process, batches of 500), built-in against plain node:zlib / node:crypto',
  async run(ctx: RunContext): Promise<ScenarioResult> {
    const result: ScenarioResult = { name: this.name, title: this.title, variants: {}, ratios: [], notes: [] };
    const skipped = skipReason(['processor:json', 'processor:gzip', 'processor:aes-gcm']);
    if (skipped) return { ...result, skipped };
    const msPerSide = ctx.smoke ? 20 : 250;
    const runs: Rates[] = [];
    for (let rep = -ctx.warmups; rep < ctx.reps; rep++) {
      const child = spawnScript('harness/processor-process.ts', { msPerSide }, { label: `processors-${rep}` });
      const rates = (await child.result(120_000)) as unknown as Rates;
      if (rep >= 0) runs.push(rates);
      ctx.log(`  rep ${rep < 0 ? 'warm-up' : `${rep + 1}/${ctx.reps}`} done`);
    }
    for (const name of Object.keys(runs[0] ?? {})) {
      for (const side of ['sluice', 'bare'] as const) {
        const perSec = runs.map((r) => r[name][side]);
        const variant: VariantResult = {
          description: '',
          metrics: { eventsPerSec: summarize(perSec) },
          missing: 0,
        };
        const bytes = name.endsWith('1024 B') ? 1024 : 200;
        variant.metrics.mbPerSec = summarize(perSec.map((v) => (v * bytes) / 1e6));
        result.variants[`${name} ${side}`] = variant;
      }
      const ratios = runs.map((r) => r[name].sluice / r[name].bare);
      const target = name.startsWith('json ') ? { atLeast: 0.9 } : undefined;
      result.ratios.push(withTarget(`${name}: built-in / plain`, summarize(ratios).median, target));
    }
    result.notes.push(
      '"sluice" is the built-in processor, "bare" the same work in plain Node code (node:zlib, node:crypto, JSON)',
      'events/s are per CPU second of the measuring process (wall time on a shared machine mostly measures the wait for a core)',
      'bare makes a new event per record with the value replaced and sets aside a record that throws, as a processor must',
      "the measuring process runs without V8's allocation-site pretenuring, which struck one side or the other by chance (docs/benchmarks.md)",
      'json: bare is JSON.parse(buf.toString()) / Buffer.from(JSON.stringify(v)); the others have no target of their own: they show where the embedded and end-to-end time goes',
    );
    return result;
  },
};
