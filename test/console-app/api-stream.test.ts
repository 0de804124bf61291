// The console's event-stream reader: events in order, and a stream the server ends is told apart from one the
// page stops (the tap view then says the tap ended instead of showing "Tapping" forever).
import { createServer, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api } from '../../core/admin/console/app/api.js';
import { closeServer } from '../harness/loopback.js';

const server = createServer();
let base = '';
const open: ServerResponse[] = [];

beforeAll(async () => {
  vi.stubGlobal('sessionStorage', { getItem: () => null, setItem() {}, removeItem() {} });
  server.on('request', (req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: {"n":1}\n\n');
    res.write('data: {"n":2}\n\n');
    if (req.url === '/ends') res.end();
    else open.push(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  base = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  for (const res of open) res.end();
  vi.unstubAllGlobals();
  await closeServer(server);
});

describe('api.stream', () => {
  it('hands over each event and says when the server ended the stream', async () => {
    const events: unknown[] = [];
    const ended = new Promise<void>((resolve) => {
      api.stream(`${base}/ends`, (data) => events.push(data), undefined, resolve);
    });
    await ended;
    expect(events).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('says nothing of an end when the page stopped the stream itself', async () => {
    const events: unknown[] = [];
    const onEnd = vi.fn();
    const onError = vi.fn();
    const stop = api.stream(`${base}/open`, (data) => events.push(data), onError, onEnd);
    await vi.waitFor(() => expect(events).toHaveLength(2), { timeout: 20_000 });
    stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(onEnd).not.toHaveBeenCalled();
    expect(onError).not.toHaveBeenCalled();
  });
});
