import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../../../core/errors.js';
import type { Logger } from '../../../../core/plugin.js';
import { SinkHealth } from '../../../../core/runtime/sink-health.js';

function recording() {
  const lines: Array<{ level: string; msg: string; fields: Record<string, unknown> }> = [];
  const at = (level: string) => (fields: object | string, msg?: string) =>
    lines.push({
      level,
      msg: msg ?? String(fields),
      fields: typeof fields === 'object' ? (fields as Record<string, unknown>) : {},
    });
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { lines, logger };
}

describe('a failing sink in the log', () => {
  it('logs once when it starts failing, a summary per interval, and once when it recovers', () => {
    let now = 0;
    const { lines, logger } = recording();
    const health = new SinkHealth({
      pipeline: 'orders',
      sink: 'warehouse',
      logger,
      redact: (t) => t.replace('hunter2', '***'),
      summaryEveryMs: 60_000,
      now: () => now,
    });
    const error = new RetryableError('connect to db:5432 as app/hunter2 refused', { code: 'E_SQL_CONNECT' });
    for (let i = 0; i < 100; i++) {
      health.failed(error, i === 99 ? 50 : 0);
      now += 500;
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      fields: { pipeline: 'orders', sink: 'warehouse', code: 'E_SQL_CONNECT' },
    });
    expect(lines[0].msg).toMatch(
      /sink "warehouse" of pipeline "orders" is failing: connect to db:5432 as app\/\*\*\* refused/,
    );
    now += 10_000;
    health.failed(error);
    expect(lines).toHaveLength(2);
    expect(lines[1].msg).toMatch(/still failing: 100 failed batch\(es\), 50 event\(s\) dead-lettered/);
    health.succeeded();
    health.succeeded();
    expect(lines).toHaveLength(3);
    expect(lines[2]).toMatchObject({ level: 'info', fields: { failures: 101, deadLettered: 50 } });
    expect(lines[2].msg).toMatch(/recovered after 60 s/);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('keeps a flapping sink to its summaries', () => {
    let now = 0;
    const { lines, logger } = recording();
    const health = new SinkHealth({
      pipeline: 'p',
      sink: 's',
      logger,
      redact: (t) => t,
      summaryEveryMs: 60_000,
      now: () => now,
    });
    const error = new RetryableError('503 from receiver');
    for (let i = 0; i < 100; i++) {
      health.failed(error);
      now += 100;
      health.succeeded();
      now += 100;
    }
    expect(lines.map((l) => l.level)).toEqual(['warn', 'info']);
    now += 60_000;
    health.failed(error);
    expect(lines).toHaveLength(3);
    expect(lines[2].msg).toMatch(/is failing/);
  });
});
