import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileSink, fileSinkConfig } from '../../../../connectors/file/sink.js';
import { createFileSource, fileSourceConfig } from '../../../../connectors/file/source.js';
import type { SluiceEvent } from '../../../../core/event.js';
import { eventArbitrary } from '../../../conformance/event-arbitrary.js';
import { testPluginContext } from '../../../conformance/plugin-context.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-file-round-trip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('file sink to file source', () => {
  it('reads back every event the sink wrote, exactly: key, value (bytes too), ts and headers', async () => {
    let run = 0;
    await fc.assert(
      // normalizeEvent (core/event.ts) drops a header named "__proto__": reported on the issue, left out here.
      fc.asyncProperty(
        fc.array(
          eventArbitrary().filter((e) => !Object.hasOwn(e.headers, '__proto__')),
          { minLength: 1, maxLength: 20 },
        ),
        async (batch) => {
          const folder = `run-${run++}`;
          const ctx = testPluginContext({ baseDir: dir });
          const sink = await createFileSink(fileSinkConfig.parse({ directory: folder, ts: 'iso' }), ctx);
          await sink.write(batch);
          const source = createFileSource(fileSourceConfig.parse({ directory: folder, stableMs: 0 }), ctx);
          const { events } = await source.poll(undefined);
          const withoutId = ({ id: _id, ...e }: SluiceEvent) => e;
          expect(events.map(({ headers: { 'sluice-file': _file, ...headers }, ...e }) => ({ ...e, headers }))).toEqual(
            batch.map(withoutId),
          );
        },
      ),
      { numRuns: 40 },
    );
  });
});
