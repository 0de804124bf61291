// `sluice status`: the state of a fleet at a glance: topics, subscriptions, dead letters, workers.
import { readFleetStatus } from '../admin/fleet-status.js';
import { ConfigError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString();
}

function bytes(n: number | undefined): string {
  if (n === undefined) return '-';
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

export async function statusCommand(o: { redis?: string; prefix: string; json?: boolean }): Promise<number> {
  try {
    if (!o.redis) {
      throw new ConfigError(
        "status reads a fleet's Redis: pass --redis redis://host:6379 (or set SLUICE_REDIS); an embedded `sluice run` shows its status on its own terminal",
        { code: 'E_NEEDS_REDIS' },
      );
    }
    const { openRedisAdmin } = await import('./redis-drivers.js');
    const admin = await openRedisAdmin({ url: o.redis, prefix: o.prefix, cluster: false });
    try {
      const snapshot = await readFleetStatus(admin);
      const { topics, workers, jobs: counts } = snapshot;
      if (o.json) {
        process.stdout.write(`${JSON.stringify(snapshot, null, 2)}\n`);
        return EXIT.ok;
      }
      const w = (s: string) => process.stdout.write(`${s}\n`);
      w('TOPICS');
      for (const t of topics.filter((t) => !t.isDeadLetter)) {
        w(
          `  ${t.name}: ${t.length} events in ${t.partitions} partition(s), ${bytes(t.memoryBytes)}, oldest ${time(t.oldestTime)}, newest ${time(t.newestTime)}${t.lost ? `, LOST ${t.lost}` : ''}`,
        );
        for (const s of t.subscriptions) {
          const unused = s.isUsed ? '' : `, UNUSED: no running pipeline uses it (last used ${s.lastUsedAt ?? 'never'})`;
          w(`    subscription ${s.name}: lag ${s.lag}, pending ${s.pending}${unused}`);
        }
      }
      if (snapshot.paused.length > 0) w(`PAUSED  ${snapshot.paused.join(', ')}`);
      w('DEAD LETTERS');
      const dlqs = topics.filter((t) => t.isDeadLetter);
      if (dlqs.every((t) => t.length === 0)) w('  none');
      for (const t of dlqs.filter((t) => t.length > 0)) w(`  ${t.name}: ${t.length}, newest ${time(t.newestTime)}`);
      w(`JOBS  waiting ${counts.waiting}, active ${counts.active}, delayed ${counts.delayed}, failed ${counts.failed}`);
      w(`WORKERS (${workers.length})`);
      for (const wk of workers) {
        w(
          `  ${wk.id}  host ${wk.host} pid ${wk.pid} v${wk.version}, up since ${time(wk.startedAt)}, ${wk.jobs.length} job(s)`,
        );
        for (const j of wk.jobs)
          w(`    ${j.pipeline} sink ${j.sink}: ${j.id} attempt ${j.attempt} since ${time(j.since)}`);
      }
      return EXIT.ok;
    } finally {
      await admin.close();
    }
  } catch (err) {
    return reportError(err);
  }
}
