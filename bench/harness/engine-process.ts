// Runs one pipeline file in this process with the Engine and the drivers `sluice run` would pick, with the
// bench's null sink among the plugins, and reports how fast events got through. The clock starts when the engine
// starts, so Node and module start-up are not what is measured. It stops once the null sink has seen `expect`
// events or, without `expect`, once every finite source is done and delivered (as `sluice run` exits).
import { builtins } from '../../builtins.js';
import { openDrivers } from '../../core/cli/drivers.js';
import { loadConfig } from '../../core/config/load.js';
import { Engine } from '../../core/runtime/engine.js';
import { silentLogger } from '../../core/runtime/logger.js';
import nullSink, { nullSinkTally } from '../plugins/null-sink.js';

const spec = JSON.parse(process.argv[2]) as {
  file: string;
  expect?: number;
  timeoutMs: number;
  /** Forget the null sink's latencies of the first this many ms (warm-up). */
  resetLatencyAfterMs?: number;
};

const config = await loadConfig([spec.file], { builtins: [...builtins, nullSink] });
const drivers = await openDrivers(config.redis, silentLogger, `bench:${process.pid}`);
const engine = new Engine({ config, storage: drivers.storage, queue: drivers.queue, logger: silentLogger });
let failed: string | undefined;
engine.onFatal((pipeline, error) => {
  failed = `${pipeline}: ${error.message}`;
});

const isFinished = async () => (spec.expect === undefined ? engine.isDrained() : nullSinkTally.count >= spec.expect);

const startedAt = Date.now();
await engine.start();
const deadline = startedAt + spec.timeoutMs;
let isReset = spec.resetLatencyAfterMs === undefined;
while (Date.now() < deadline && !failed && !(await isFinished())) {
  if (!isReset && Date.now() - startedAt >= (spec.resetLatencyAfterMs ?? 0)) {
    nullSinkTally.latency.clear();
    isReset = true;
  }
  await new Promise((r) => setTimeout(r, 2));
}
const finishedAt = Date.now();
const { count, latency } = nullSinkTally;
const lastAt = spec.expect === undefined ? finishedAt : nullSinkTally.lastAt;
const delivered = engine.metrics.totals().out;
await engine.stop(5_000);
await drivers.close();
if (failed) {
  process.stderr.write(`pipeline stopped: ${failed}\n`);
  process.exit(1);
}
process.stdout.write(
  `@result ${JSON.stringify({
    count: spec.expect === undefined ? delivered : count,
    startedAt,
    lastAt,
    timedOut: finishedAt >= deadline,
    ...latency.quantiles(),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
process.exit(0);
