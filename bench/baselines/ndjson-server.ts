// The HTTP front of the raw and naive ingest baselines: a node:http server on loopback that reads an NDJSON body
// of events ({key, value, timestamp}), hands the parsed events to `store`, and answers 200 once stored, 400 for
// a body that is not NDJSON, 503 when storing failed. The same contract as Sluice's http source.
import { createServer, type Server } from 'node:http';

export interface IngestEvent {
  key: string | null;
  value: unknown;
  ts: number;
}

export function parseNdjson(text: string, now: number): IngestEvent[] {
  const events: IngestEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const e = JSON.parse(line) as { key?: string; value: unknown; timestamp?: number };
    events.push({ key: e.key ?? null, value: e.value, ts: typeof e.timestamp === 'number' ? e.timestamp : now });
  }
  return events;
}

export function serveNdjson(store: (events: IngestEvent[]) => Promise<void>): Server {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let events: IngestEvent[];
      try {
        events = parseNdjson(Buffer.concat(chunks).toString('utf8'), Date.now());
      } catch (err) {
        res.statusCode = 400;
        res.end(String(err));
        return;
      }
      store(events).then(
        () => res.end(`{"stored":${events.length}}`),
        (err) => {
          res.statusCode = 503;
          res.end(String(err));
        },
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    process.stdout.write(`@ready ${JSON.stringify({ port })}\n`);
  });
  return server;
}
