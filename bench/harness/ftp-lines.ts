// Bench child: reads one file from an FTP server with the ftp source, line by line, poll after poll as the
// runtime does, counting the events, and prints its peak memory. Argument: {host, port, user, password,
// directory, batchSize}.
import { createFtpSource, ftpSourceConfig } from '../../connectors/ftp/source.js';
import type { Logger, PluginContext, StateStore } from '../../core/plugin.js';

const spec = JSON.parse(process.argv[2] as string) as Record<string, unknown>;
const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const ctx: PluginContext = {
  pipeline: 'bench',
  component: 'source',
  logger: quiet,
  signal: new AbortController().signal,
  state: {} as StateStore,
  mode: 'embedded',
  baseDir: process.cwd(),
};
const source = createFtpSource(ftpSourceConfig.parse({ ...spec, format: 'lines', stableMs: 0 }), ctx);
process.stdout.write('@ready {}\n');
const startedAt = Date.now();
let count = 0;
let checkpoint: unknown;
for (;;) {
  const r = await source.poll(checkpoint);
  count += r.events.length;
  checkpoint = r.checkpoint;
  if (!r.hasMore) break;
}
const lastAt = Date.now();
await source.close?.();
process.stdout.write(
  `@result ${JSON.stringify({ count, startedAt, lastAt, peakRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
