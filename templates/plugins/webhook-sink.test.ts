// The sink's own test: the conformance suite every sink passes, against a real HTTP server that keeps what
// it is sent, and a closed port for the failure case.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describeSinkConformance, type WrittenRecord } from 'sluice/testing';
import { afterAll, beforeAll } from 'vitest';
import webhook from './webhook-sink.js';

let received: WrittenRecord[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push(...(JSON.parse(Buffer.concat(chunks).toString('utf8')) as WrittenRecord[]));
    res.writeHead(204).end();
  });
});
const config: Record<string, unknown> = { url: '' };

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  config.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describeSinkConformance({
  plugin: webhook,
  config,
  readBack: async () => received,
  reset: async () => {
    received = [];
  },
  // Port 9 (discard) is closed on loopback: the POST fails at once.
  unreachableConfig: { url: 'http://127.0.0.1:9/hook', timeoutMs: 5000 },
});
