// The row each fault case adds to the chaos table: what was tried, how much of it held, what the sequence
// checker found at the destination, and how long the pipeline took to come back.

import { recordFigure } from '../harness/figures.js';
import type { DeliveryReport } from '../harness/fleet.js';

export interface ChaosRow {
  case: string;
  /** Faults injected (kills, cuts, outages) or hostile records sent. */
  tries: number;
  /** Of those, how many the pipeline came through with its promise kept. */
  held: number;
  report: Pick<DeliveryReport, 'missing' | 'duplicates'>;
  /** From the end of the last fault until the destination had every event; undefined when it never did. */
  recoverMs?: number;
  /** A figure particular to the case, e.g. how fast the fault was answered. */
  note?: string;
}

export function recordChaosRow(row: ChaosRow): void {
  recordFigure({
    suite: 'chaos',
    case: row.case,
    tries: row.tries,
    held: row.held,
    missing: row.report.missing,
    duplicates: row.report.duplicates,
    'time to recover': row.recoverMs === undefined ? 'never' : `${(row.recoverMs / 1000).toFixed(1)} s`,
    ...(row.note === undefined ? {} : { note: row.note }),
  });
}
