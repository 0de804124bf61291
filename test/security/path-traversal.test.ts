// Path traversal against every file protocol: a payload in a file name must be refused, or end as a file inside
// the configured folder; nothing may be written anywhere else. Each protocol is an adapter in PROTOCOLS: FTP,
// SFTP and SCP join by adding theirs.
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fileSink from '../../connectors/file/sink.js';
import { createEvent } from '../../core/event.js';
import { recordFigure } from '../harness/figures.js';
import { createTestContext } from '../harness/http-context.js';
import { TRAVERSAL_PAYLOADS } from './hostile-input.js';

interface Attempt {
  /** True when the configuration was refused before anything ran. */
  isRefused: boolean;
  /** Paths written, relative to the sandbox the adapter was given. */
  written: string[];
}

interface ProtocolAdapter {
  name: string;
  /** Where files must land, relative to the sandbox. */
  inside: string;
  attempt(payload: string, sandbox: string): Promise<Attempt>;
}

function listFiles(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? listFiles(join(dir, d.name), root) : [relative(root, join(dir, d.name))],
  );
}

const fileProtocol: ProtocolAdapter = {
  name: 'file',
  inside: 'out',
  async attempt(payload, sandbox) {
    const parsed = fileSink.config.safeParse({ directory: 'out', fileName: `${payload}{first}` });
    if (!parsed.success) return { isRefused: true, written: [] };
    const sink = await fileSink.create(parsed.data, createTestContext({ baseDir: join(sandbox, 'base') }));
    try {
      await sink.write([{ ...createEvent({ value: 'x' }), id: '1-1-0' }]);
    } catch {
      // A write refused at run time is held too, as long as nothing landed outside.
    }
    await sink.close?.();
    return { isRefused: false, written: listFiles(sandbox).map((p) => relative('base', p)) };
  },
};

const PROTOCOLS: ProtocolAdapter[] = [fileProtocol];

const root = mkdtempSync(join(tmpdir(), 'sluice-traversal-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('path traversal in file names', () => {
  for (const protocol of PROTOCOLS) {
    it(`${protocol.name}: ${TRAVERSAL_PAYLOADS.length} payloads are refused or stay inside the folder`, async () => {
      const escaped: string[] = [];
      for (const [i, payload] of TRAVERSAL_PAYLOADS.entries()) {
        const sandbox = join(root, `${protocol.name}-${i}`);
        mkdirSync(join(sandbox, 'base'), { recursive: true });
        const { isRefused, written } = await protocol.attempt(payload, sandbox);
        const outside = written.filter((p) => !p.startsWith(`${protocol.inside}/`) || p.includes('..'));
        if (!isRefused && outside.length > 0) escaped.push(`${JSON.stringify(payload)} → ${outside.join(', ')}`);
      }
      recordFigure({
        suite: 'security',
        case: `path traversal: ${protocol.name}`,
        tries: TRAVERSAL_PAYLOADS.length,
        held: TRAVERSAL_PAYLOADS.length - escaped.length,
      });
      expect(TRAVERSAL_PAYLOADS.length).toBeGreaterThanOrEqual(40);
      expect(escaped).toEqual([]);
    });
  }
});
