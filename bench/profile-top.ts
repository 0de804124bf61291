// `npx tsx bench/profile-top.ts <file.cpuprofile> [N]`: the N functions (default 25) with the most self time in
// a V8 CPU profile, as written by `npm run bench -- --profile` (or `node --cpu-prof`). Self time is where the
// CPU was when sampled, so the top of this list is what to make faster.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

const [file, count = '25'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: npx tsx bench/profile-top.ts <file.cpuprofile> [N]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<string, number>();
let totalUs = 0;
profile.samples.forEach((id, i) => {
  const frame = nodes.get(id)?.callFrame;
  if (!frame) return;
  const where = frame.url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
  const name = `${frame.functionName || '(anonymous)'}  ${where}${where ? `:${frame.lineNumber + 1}` : ''}`;
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
