// Sluice from code: run a pipeline declared as an object, wait until its finite source is done and every
// event is delivered, then stop. The same pipeline as a YAML file runs with `sluice run`.
//   npx tsx templates/examples/run-from-code/run-from-code.ts /tmp/readings
import { type RunSummary, run } from 'sluice/engine';

export async function copyReadings(folder: string, count = 50): Promise<RunSummary> {
  const running = await run({
    pipelines: {
      readings: {
        source: { type: 'generate', preset: 'temperature', count, rate: 0 },
        topic: 'readings',
        sinks: [{ type: 'file', directory: folder, fileName: 'readings-{first}.ndjson' }],
      },
    },
  });
  await running.drained();
  return running.stop();
}

if (process.argv[1]?.endsWith('run-from-code.ts')) {
  const summary = await copyReadings(process.argv[2] ?? 'readings');
  console.log(`stored ${summary.stored}, delivered ${summary.delivered}`);
}
