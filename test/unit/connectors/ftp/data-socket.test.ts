import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Client } from 'basic-ftp';
import { afterEach, describe, expect, it } from 'vitest';
import { slabSocket } from '../../../../connectors/ftp/data-socket.js';

describe('the slab socket of plain-FTP data connections', () => {
  let server: Server | undefined;
  afterEach(() => server?.close());

  it('is still how basic-ftp makes its data sockets (the hook the pool replaces)', () => {
    // If basic-ftp renames this internal factory, downloads silently fall back to default sockets: fail here.
    const ftp = new Client().ftp as unknown as { _newSocket?: unknown };
    expect(typeof ftp._newSocket).toBe('function');
  });

  it('delivers every byte in order, across slabs, to a slow reader', async () => {
    const sent = randomBytes(5 * 1024 * 1024 + 123);
    server = createServer((c) => c.end(sent));
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    const socket = slabSocket();
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject);
      socket.on('end', resolve);
      socket.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        // Pausing now and then makes the socket fill its buffer and stop reading, as a busy pipeline does.
        if (chunks.length % 7 === 0) {
          socket.pause();
          setTimeout(() => socket.resume(), 5);
        }
      });
      socket.connect(port, '127.0.0.1');
    });
    expect(Buffer.concat(chunks).equals(sent)).toBe(true);
  });
});
