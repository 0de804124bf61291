// A TCP proxy on loopback to put between Sluice and a server, that breaks the connection on command: cut every
// open connection, cut the next one that carries data halfway through a chunk (the server or client sees half a
// message, then a reset), or stall (hold every byte, keep the sockets open) until resumed.
import { connect, createServer, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  server: Socket;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private isStalled = false;
  private pendingCut?: () => void;
  /** Connections cut by `cut` or `cutMidTransfer`. */
  cuts = 0;

  private constructor(
    private readonly listener: Server,
    readonly port: number,
  ) {}

  /** Listens on a free loopback port and forwards every connection to `targetPort` on 127.0.0.1. */
  static async start(targetPort: number): Promise<TcpProxy> {
    const listener = createServer();
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const address = listener.address();
    if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port');
    const proxy = new TcpProxy(listener, address.port);
    listener.on('connection', (client) => proxy.accept(client, targetPort));
    return proxy;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.pairs.size;
  }

  /** Resets every open connection at once; returns how many. */
  cut(): number {
    const n = this.pairs.size;
    for (const pair of [...this.pairs]) this.destroy(pair);
    this.cuts += n;
    return n;
  }

  /** Resolves once the next chunk that crosses the proxy was forwarded only halfway and its connection reset. */
  cutMidTransfer(): Promise<void> {
    return new Promise((resolve) => {
      this.pendingCut = resolve;
    });
  }

  /** Holds every byte in both directions (sockets stay open, so the peers see silence, not an error). */
  stall(): void {
    this.isStalled = true;
    for (const { client, server } of this.pairs) {
      client.pause();
      server.pause();
    }
  }

  resume(): void {
    this.isStalled = false;
    for (const { client, server } of this.pairs) {
      client.resume();
      server.resume();
    }
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number): void {
    const server = connect({ host: '127.0.0.1', port: targetPort });
    const pair: Pair = { client, server };
    this.pairs.add(pair);
    client.setNoDelay(true);
    server.setNoDelay(true);
    if (this.isStalled) {
      client.pause();
      server.pause();
    }
    client.on('data', (chunk: Buffer) => this.forward(pair, chunk, server));
    server.on('data', (chunk: Buffer) => this.forward(pair, chunk, client));
    const end = () => this.destroy(pair);
    for (const socket of [client, server]) {
      socket.on('error', end);
      socket.on('close', end);
    }
    client.on('end', () => server.end());
    server.on('end', () => client.end());
  }

  private forward(pair: Pair, chunk: Buffer, to: Socket): void {
    const cut = this.pendingCut;
    if (cut === undefined || chunk.length < 2) {
      to.write(chunk);
      return;
    }
    this.pendingCut = undefined;
    to.write(chunk.subarray(0, chunk.length >> 1), () => {
      this.destroy(pair);
      this.cuts += 1;
      cut();
    });
  }

  private destroy(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.resetAndDestroy();
    pair.server.resetAndDestroy();
  }
}
