// Prints the rows that security and chaos cases recorded (test/harness/figures.ts) as one aligned table per
// suite at the end of a vitest run. It names a fresh file per run in SLUICE_FIGURES_FILE before any worker
// starts, so the workers inherit it.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Reporter } from 'vitest/reporters';
import type { FigureRow } from './figures.js';

const FIXED_COLUMNS = ['case', 'tries', 'held'];

export class FiguresReporter implements Reporter {
  private readonly dir: string;
  private readonly file: string;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'sluice-figures-'));
    this.file = join(this.dir, 'rows.jsonl');
    process.env.SLUICE_FIGURES_FILE = this.file;
  }

  onTestRunEnd(): void {
    const rows = readRows(this.file);
    rmSync(this.dir, { recursive: true, force: true });
    for (const suite of ['security', 'chaos'] as const) {
      const ofSuite = rows.filter((row) => row.suite === suite);
      if (ofSuite.length > 0) process.stdout.write(`\n${suite} figures\n${formatTable(ofSuite)}\n`);
    }
  }
}

function readRows(file: string): FigureRow[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as FigureRow);
}

/** One column per key seen in any row, fixed columns first; numbers right-aligned, text left-aligned. */
export function formatTable(rows: FigureRow[]): string {
  const extra = [...new Set(rows.flatMap((row) => Object.keys(row)))].filter(
    (key) => key !== 'suite' && !FIXED_COLUMNS.includes(key),
  );
  const columns = [...FIXED_COLUMNS, ...extra];
  const cells = rows.map((row) => columns.map((column) => (row[column] === undefined ? '' : String(row[column]))));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i].length)));
  const isNumeric = columns.map((_, i) => rows.every((row) => typeof row[columns[i]] !== 'string'));
  const format = (line: string[]) =>
    line
      .map((cell, i) => (isNumeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [format(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(format)].join('\n');
}
