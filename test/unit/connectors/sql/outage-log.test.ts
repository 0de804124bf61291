import { describe, expect, it } from 'vitest';
import { OutageLog } from '../../../../connectors/sql/outage-log.js';
import { FatalError, RetryableError } from '../../../../core/errors.js';

describe('sql outage log', () => {
  const lost = new RetryableError('connect ECONNREFUSED 127.0.0.1:5432', { code: 'E_SQL_CONNECTION' });

  it('says once that the connection is lost, reminds at most once a minute, and says when it is back', () => {
    const lines: Array<{ level: string; msg: string }> = [];
    const logger = {
      debug() {},
      info: (_: object | string, msg?: string) => lines.push({ level: 'info', msg: msg ?? '' }),
      warn: (_: object | string, msg?: string) => lines.push({ level: 'warn', msg: msg ?? '' }),
      error() {},
    };
    let now = 0;
    const log = new OutageLog({ logger, what: 'sql sink of pipeline "p"', database: 'db on h:5432', now: () => now });
    log.succeeded();
    for (; now < 150_000; now += 500) log.failed(lost);
    log.failed(new FatalError('bad password', { code: 'E_SQL_AUTH' }));
    log.succeeded();
    log.succeeded();
    expect(lines).toEqual([
      { level: 'warn', msg: expect.stringMatching(/lost the connection to db on h:5432; retrying/) },
      { level: 'warn', msg: expect.stringMatching(/still unreachable after 60\.0 s \(121 failed attempts\)/) },
      { level: 'warn', msg: expect.stringMatching(/still unreachable after 120\.0 s \(241 failed attempts\)/) },
      { level: 'info', msg: expect.stringMatching(/back after 150\.0 s \(300 failed attempts\)/) },
    ]);
  });
});
