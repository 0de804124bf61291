// While `sluice run` works: on a terminal, one status line rewritten in place (events in/out per second, lag,
// dead-lettered, retries, last error); off a terminal, the same figures as a structured log line now and then.
import type { Logger } from '../plugin.js';
import type { Engine } from '../runtime/engine.js';

export interface LiveStatusOptions {
  engine: Engine;
  logger: Logger;
  tty: boolean;
  out?: NodeJS.WriteStream;
  intervalMs?: number;
}

function rate(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(1)}M`;
  if (n >= 10_000) return `${Math.round(n / 1000)}k`;
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k`;
  return String(Math.round(n));
}

export function startLiveStatus({
  engine,
  logger,
  tty,
  out = process.stderr,
  intervalMs,
}: LiveStatusOptions): () => void {
  const every = intervalMs ?? (tty ? 500 : 10_000);
  let last = engine.metrics.totals();
  let lastAt = Date.now();
  let busy = false;
  const timer = setInterval(async () => {
    if (busy) return;
    busy = true;
    try {
      const now = Date.now();
      const totals = engine.metrics.totals();
      const secs = Math.max(0.001, (now - lastAt) / 1000);
      let lag = 0;
      for (const p of engine.pipelines) lag += await p.lag();
      const inRate = (totals.in - last.in) / secs;
      const outRate = (totals.out - last.out) / secs;
      const lastError = Object.values(engine.metrics.snapshot()).find((c) => c.lastError)?.lastError;
      if (tty) {
        const line = `in ${rate(inRate)}/s  out ${rate(outRate)}/s  lag ${rate(lag)}  stored ${rate(totals.in)}  delivered ${rate(totals.out)}  dead-lettered ${totals.deadLettered}  retries ${totals.retries}${lastError ? `  last error: ${lastError}` : ''}`;
        out.write(`\r\x1b[2K${line.slice(0, (out.columns ?? 160) - 1)}`);
      } else {
        logger.info({ inPerSec: Math.round(inRate), outPerSec: Math.round(outRate), lag, ...totals }, 'status');
      }
      last = totals;
      lastAt = now;
    } catch {
      // The status line must never take the run down; the next tick tries again.
    } finally {
      busy = false;
    }
  }, every);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (tty) out.write('\r\x1b[2K');
  };
}
