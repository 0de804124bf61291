// `sluice validate --connect` with the sql connectors: a database that refuses the login, or is not there, is
// a problem at the `connection` key (exit 2 from the command); one that answers passes. Real PostgreSQL.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtins } from '../../builtins.js';
import { loadConfig } from '../../core/config/load.js';
import { freePort } from '../harness/loopback.js';

function pipelineFile(connection: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-connect-'));
  const file = join(dir, 'p.yaml');
  writeFileSync(
    file,
    [
      'pipelines:',
      '  p:',
      '    source: { type: generate, count: 1 }',
      '    topic: t',
      '    sinks:',
      '      - type: sql',
      '        client: pg',
      `        connection: ${connection}`,
      '        table: readings',
      '',
    ].join('\n'),
  );
  return file;
}

describe('validate --connect with the sql sink', () => {
  it('passes when the database answers', async () => {
    const file = pipelineFile('postgres://postgres@127.0.0.1:5432/test');
    await expect(loadConfig([file], { builtins, env: {}, connect: true })).resolves.toBeDefined();
  });

  it('reports a refused login at the connection key, without the password', async () => {
    const file = pipelineFile('postgres://no_such_role_here:canary-pw-7781@127.0.0.1:5432/test');
    const error = await loadConfig([file], { builtins, env: {}, connect: true }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error?.message).toMatch(
      /cannot connect: PostgreSQL database "test" on 127\.0\.0\.1:5432: role "no_such_role_here" does not exist.* at .*p\.yaml:8:\d+/s,
    );
    expect(error?.message).not.toContain('canary-pw-7781');
  });

  it('reports a database that is not there', async () => {
    const file = pipelineFile(`postgres://postgres@127.0.0.1:${await freePort()}/test`);
    await expect(loadConfig([file], { builtins, env: {}, connect: true })).rejects.toThrow(
      /cannot connect: PostgreSQL database "test" on 127\.0\.0\.1:\d+/,
    );
  });
});
