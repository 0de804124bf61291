// Loopback helpers for tests that run real servers: a free port, and closing a server with its connections.
import type { Server } from 'node:http';
import { type AddressInfo, createServer, Socket } from 'node:net';

/** A port that was free a moment ago on 127.0.0.1 (for configs that must name a port up front). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Closes a server and drops its open connections, keep-alive ones included. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

/** True when something accepts a TCP connection on 127.0.0.1:`port` now (a server started and ready). */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.connect(port, '127.0.0.1');
  });
}
