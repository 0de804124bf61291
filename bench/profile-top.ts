// `npx tsx bench/profile-top.ts <file.cpuprofile> [N] [--by-module]`: the N functions (default 25) with the most
// self time in a V8 CPU profile, as written by `npm run bench -- --profile` (or `node --cpu-prof`); with
// --by-module, the same time summed per package or Sluice folder. Self time is where the CPU was when sampled,
// so the top of this list is what to make faster.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const args = process.argv.slice(2);
const byModule = args.includes('--by-module');
const [file, count = '25'] = args.filter((a) => a !== '--by-module');
if (!file) {
  process.stderr.write('usage: npx tsx bench/profile-top.ts <file.cpuprofile> [N] [--by-module]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
/** `node_modules/ioredis`, `core/storage`, `node:zlib`, `(garbage collector)`: where a sample's code lives. */
function moduleOf(where: string, functionName: string): string {
  if (where === '') return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(where);
  if (pkg) return `node_modules/${pkg[1]}`;
  if (where.startsWith('node:')) return where.replace(/^node:internal\//, 'node:');
  const parts = where.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : where;
}

const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
let totalUs = 0;
profile.samples.forEach((id, i) => {
  const frame = nodes.get(id)?.callFrame;
  if (!frame) return;
  const where = frame.url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
  const name = byModule
    ? moduleOf(where, frame.functionName)
    : `${frame.functionName || '(anonymous)'}  ${where}${where ? `:${frame.lineNumber + 1}` : ''}`;
  const dt = profile.timeDeltas[i] ?? 0;
  selfUs.set(name, (selfUs.get(name) ?? 0) + dt);
  totalUs += dt;
});
const top = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, Number(count));
for (const [name, us] of top) {
  process.stdout.write(
    `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)} %  ${name}\n`,
  );
}
process.stdout.write(`${(totalUs / 1000).toFixed(0).padStart(8)} ms total\n`);
