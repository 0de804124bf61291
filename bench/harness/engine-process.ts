// Runs one pipeline file in this process with the Engine and the embedded drivers, as `sluice run` does, with
// the bench's null sink among the plugins; reports how fast events reached it. The clock starts when the engine
// starts, so Node and module start-up are not what is measured.
import { builtins } from '../../builtins.js';
import { openDrivers } from '../../core/cli/drivers.js';
import { loadConfig } from '../../core/config/load.js';
import { Engine } from '../../core/runtime/engine.js';
import { silentLogger } from '../../core/runtime/logger.js';
import nullSink, { nullSinkTally } from '../plugins/null-sink.js';

const spec = JSON.parse(process.argv[2]) as { file: string; expect: number; timeoutMs: number };

const config = await loadConfig([spec.file], { builtins: [...builtins, nullSink] });
const drivers = await openDrivers(config.redis, silentLogger, `bench:${process.pid}`);
const engine = new Engine({ config, storage: drivers.storage, queue: drivers.queue, logger: silentLogger });
let failed: string | undefined;
engine.onFatal((pipeline, error) => {
  failed = `${pipeline}: ${error.message}`;
});

const startedAt = Date.now();
await engine.start();
const deadline = startedAt + spec.timeoutMs;
while (nullSinkTally.count < spec.expect && Date.now() < deadline && !failed) {
  await new Promise((r) => setTimeout(r, 2));
}
const { count, bytes, lastAt, latency } = nullSinkTally;
await engine.stop(5_000);
await drivers.close();
if (failed) {
  process.stderr.write(`pipeline stopped: ${failed}\n`);
  process.exit(1);
}
process.stdout.write(
  `@result ${JSON.stringify({
    count,
    bytes,
    startedAt,
    lastAt,
    ...latency.quantiles(),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
  })}\n`,
);
process.exit(0);
