// The figures both hostile-input suites report: each case appends one JSON line to the file named by
// SLUICE_FIGURES_FILE (the figures reporter sets it per run), and the reporter prints them as tables at the end.
import { appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type FigureRow = {
  suite: 'security' | 'chaos';
  case: string;
  tries: number;
  held: number;
  [column: string]: string | number;
};

export type SuiteSize = 'full' | 'reduced';

/** The file rows go to: the reporter's per-run file, or one temp file per process when run without it. */
export function figuresFile(): string {
  return process.env.SLUICE_FIGURES_FILE ?? join(tmpdir(), `sluice-figures-${process.pid}.jsonl`);
}

/** Appends one row; appends of a single short line are atomic, so parallel test files may share the file. */
export function recordFigure(row: FigureRow): void {
  appendFileSync(figuresFile(), `${JSON.stringify(row)}\n`);
}

/** `full` under `npm run test:security` / `test:chaos`; `reduced` (the default) inside `npm test` and CI. */
export function suiteSize(): SuiteSize {
  return process.env.SLUICE_SUITE_SIZE === 'full' ? 'full' : 'reduced';
}

/** Picks a case's size: `full` for the suite's own command, `reduced` otherwise. */
export function sized(sizes: { full: number; reduced: number }): number {
  return sizes[suiteSize()];
}
