// A request queued behind a busy connection while its batch stops being this process's never reaches the server.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchNotOwnedError, ownedOnly } from '../../../../connectors/http/ownership-guard.js';
import { closeServer } from '../../../harness/loopback.js';

const server = createServer();
const arrived: string[] = [];
let holdFirst: ServerResponse | undefined;
let firstArrived!: () => void;
const firstArrival = new Promise<void>((resolve) => {
  firstArrived = resolve;
});
let url = '';

beforeAll(async () => {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    arrived.push(req.url ?? '');
    req.resume();
    if (req.url === '/first') {
      holdFirst = res;
      firstArrived();
    } else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${address.port}`;
});
afterAll(() => closeServer(server));

describe('ownedOnly', () => {
  it('starts a waiting request only while isOwned says yes', async () => {
    const agent = new Agent({ connections: 1 });
    let isOwned = true;
    const dispatcher = ownedOnly(agent, () => isOwned);
    try {
      const first = request(`${url}/first`, { dispatcher });
      await firstArrival;
      // The only connection is busy: this one waits inside the client.
      const second = request(`${url}/second`, { dispatcher }).then(
        () => 'sent',
        (err: unknown) => err,
      );
      isOwned = false;
      holdFirst?.end('ok');
      await (await first).body.dump();
      expect(await second).toBeInstanceOf(BatchNotOwnedError);
      expect(arrived).toEqual(['/first']);

      isOwned = true;
      const third = await request(`${url}/third`, { dispatcher });
      await third.body.dump();
      expect(third.statusCode).toBe(200);
      expect(arrived).toEqual(['/first', '/third']);
    } finally {
      await agent.close();
    }
  });
});
