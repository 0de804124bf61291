// What a bench run prints and writes: per scenario and variant the median and spread of every figure, the
// ratios with their targets, and the machine they came from; the same as JSON in bench/results/latest.json.
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { MetricName, ScenarioResult } from './scenario.js';
import type { Summary } from './stats.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  redis: string;
  os: string;
}

export async function describeMachine(redisVersion: string): Promise<Machine> {
  let os: string = process.platform;
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os;
  } catch {}
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    redis: redisVersion,
    os,
  };
}

const percent = (v: number) => `${(v * 100).toFixed(0)}%`;

const COLUMNS: Array<[MetricName, string, (v: number) => string]> = [
  ['eventsPerSec', 'events/s', (v) => Math.round(v).toLocaleString('en-US')],
  ['mbPerSec', 'MB/s', (v) => v.toFixed(1)],
  ['p50Ms', 'p50 ms', (v) => v.toFixed(1)],
  ['p99Ms', 'p99 ms', (v) => v.toFixed(1)],
  ['peakRssBytes', 'peak RSS MiB', (v) => (v / 2 ** 20).toFixed(0)],
  ['redisBytesPerEvent', 'Redis B/event', (v) => v.toFixed(0)],
  ['cpuUsPerEvent', 'CPU µs/event', (v) => v.toFixed(0)],
  ['redisCpuUsPerEvent', 'Redis CPU µs/event', (v) => v.toFixed(1)],
  ['eventsPerBatch', 'events/batch', (v) => v.toFixed(0)],
  ['roundTripsPerBatch', 'Redis RT/batch', (v) => v.toFixed(2)],
  ['commandsPerBatch', 'Redis cmds/batch', (v) => v.toFixed(1)],
  ['clientCpuShare', 'client CPU', percent],
  ['receiverCpuShare', 'receiver CPU', percent],
];

function cell(s: Summary | undefined, format: (v: number) => string): string {
  if (!s) return '';
  if (s.n < 2) return format(s.median);
  return `${format(s.median)} (${format(s.min)}–${format(s.max)})`;
}

export function formatScenario(r: ScenarioResult): string {
  const lines = [`\n${r.title}`];
  if (r.skipped) {
    lines.push(`  skipped: ${r.skipped}`);
    return lines.join('\n');
  }
  const used = COLUMNS.filter(([m]) => Object.values(r.variants).some((v) => v.metrics[m]));
  const rows = [['variant', ...used.map(([, label]) => label)]];
  for (const [name, v] of Object.entries(r.variants)) {
    rows.push([name, ...used.map(([m, , f]) => cell(v.metrics[m], f))]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) lines.push(`  ${row.map((c, i) => c.padEnd(widths[i])).join('  ')}`);
  for (const [name, v] of Object.entries(r.variants)) {
    if (v.description) lines.push(`  ${name}: ${v.description}`);
    if (v.missing > 0) lines.push(`  ${name}: ${v.missing} events did not arrive`);
  }
  for (const ratio of r.ratios) {
    const target = ratio.target
      ? ` (target ${ratio.target.atLeast !== undefined ? `≥ ${ratio.target.atLeast}` : `≤ ${ratio.target.atMost}`}: ${ratio.met ? 'met' : 'MISSED'})`
      : '';
    lines.push(`  ${ratio.name}: ${formatRatio(ratio.value)}${target}`);
  }
  for (const note of r.notes) lines.push(`  note: ${note}`);
  return lines.join('\n');
}

const formatRatio = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2)) : 'n/a');
