// The record parts of the connector conformance suite on HTTP: the http sink posts whole events (`body: event`)
// through a TCP proxy to a real http source, which stores them; the source's store is what is read back. The
// sink's Idempotency-Key and the source's memory of it make a redelivered batch store nothing twice.
import { randomBytes } from 'node:crypto';
import httpSink from '../../connectors/http/sink.js';
import httpSource, { type HttpSourceInstance } from '../../connectors/http/source.js';
import type { SluiceEvent } from '../../core/event.js';
import { MemoryStorage } from '../../core/storage/memory.js';
import { createTestContext } from '../harness/http-context.js';
import { TcpProxy } from '../harness/tcp-proxy.js';
import { testPluginContext } from './plugin-context.js';
import { describeRecordConnectorConformance } from './record-connector.js';

const TOPIC = 'conformance';

describeRecordConnectorConformance('HTTP (http sink → http source)', async () => ({
  capabilities: { keys: true, timestamps: true, effectivelyOnceSink: true },
  async channel() {
    const storage = new MemoryStorage();
    await storage.ensureTopic({ name: TOPIC, partitions: 2 });
    const ctx = createTestContext({ pipeline: 'ingest', state: storage.state('http-conformance') });
    const path = `/in-${randomBytes(3).toString('hex')}`;
    const source = (await httpSource.create(
      httpSource.config.parse({ host: '127.0.0.1', port: 0, path }),
      ctx,
    )) as unknown as HttpSourceInstance;
    const listening = source.listen((events, options) =>
      storage.append(TOPIC, events, options?.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    );
    listening.catch(() => {});
    const { port } = await source.address();
    const proxy = await TcpProxy.start(port);
    return {
      sink: async () =>
        httpSink.create(
          httpSink.config.parse({
            url: `http://127.0.0.1:${proxy.port}${path}`,
            body: 'event',
            timeouts: { connectMs: 2000, headersMs: 2000, bodyMs: 2000, totalMs: 5000 },
          }),
          testPluginContext({ pipeline: 'conformance', component: 'http' }),
        ),
      readBack: async () =>
        (await storage.read(TOPIC, {})).map(
          ({ key, value, ts, headers }): SluiceEvent => ({ key, value, ts, headers }),
        ),
      cut: () => void proxy.cutMidTransfer(),
      async close() {
        await proxy.close();
        ctx.controller.abort();
        await listening.catch(() => {});
      },
    };
  },
}));
