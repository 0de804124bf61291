import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { builtins } from '../../../../builtins.js';
import { loadConfig } from '../../../../core/config/load.js';
import { createEvent } from '../../../../core/event.js';
import { createQueryDecoders } from '../../../../core/query/query-decoders.js';
import { query } from '../../../../core/query/query-engine.js';
import { MemoryStorage } from '../../../../core/storage/memory.js';

const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, fatal() {}, child: () => silent };

describe('values stored encoded', () => {
  it('are decoded for queries by the processor chain named in topics.<name>.decode, the rest left out and counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-decode-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `topics:
  packed:
    decode: [{ type: gzip, action: decompress }, { type: json }]
pipelines:
  out:
    topic: packed
    sinks: [{ type: stdout }]
`,
    );
    const config = await loadConfig([file], { builtins, env: {} });
    const storage = new MemoryStorage();
    await storage.ensureTopic({ name: 'packed', partitions: 2 });
    const packed = (v: unknown) => gzipSync(Buffer.from(JSON.stringify(v)));
    await storage.append('packed', [
      createEvent({ key: 'a', value: packed({ temp: 20 }) }),
      createEvent({ key: 'b', value: packed({ temp: 22 }) }),
      createEvent({ key: 'c', value: Buffer.from('not gzip') }),
    ]);
    const { decoders, close } = await createQueryDecoders(
      config.queryDecoders,
      storage,
      silent as never,
      new AbortController().signal,
    );
    const result = await query(storage, `SELECT avg((value->>'temp')::DOUBLE) AS avg_temp, count(*) AS n FROM packed`, {
      decoders,
    });
    expect(await result.all()).toEqual([{ avg_temp: 21, n: 2 }]);
    expect(result.stats.undecodable).toEqual({ packed: 1 });
    await close();
    await storage.close();
  });
});
