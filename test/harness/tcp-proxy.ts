// A TCP proxy on loopback to put between Sluice and a server, that breaks the connection on command: cut every
// open connection, cut the next one that carries data halfway through a chunk (the server or client sees half a
// message, then a reset), or stall (hold every byte, keep the sockets open) until resumed.
// With `ftp`, it also carries plain FTP's passive data connections: it rewrites each `227`/`229` reply to a port
// of its own that forwards to the server's data port, so cuts and stalls reach the data as well as the control
// connection (FTPS encrypts the replies, so it cannot be proxied this way).
import { connect, createServer, type Server, type Socket } from 'node:net';

const PASSIVE_REPLY =
  /^(227 [^(\r\n]*\()(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)(\).*)$|^(229 [^(\r\n]*\(\|\|\|)(\d+)(\|\).*)$/m;

interface Pair {
  client: Socket;
  server: Socket;
}

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private isStalled = false;
  private pendingCut?: () => void;
  private readonly dataListeners = new Set<Server>();
  /** Connections cut by `cut` or `cutMidTransfer`. */
  cuts = 0;
  /** FTP data connections carried (with `ftp`). */
  dataConnections = 0;

  private constructor(
    private readonly listener: Server,
    readonly port: number,
    private readonly isFtp: boolean,
    private readonly bytesPerSecond: number,
  ) {}

  /**
   * Listens on a free loopback port and forwards every connection to `targetPort` on 127.0.0.1. With
   * `bytesPerSecond`, what the server sends on each connection is paced to that rate, so that a read takes a known
   * least time however fast the machine is (faults can then reach it mid-read).
   */
  static async start(targetPort: number, options: { ftp?: boolean; bytesPerSecond?: number } = {}): Promise<TcpProxy> {
    const listener = await listen();
    const proxy = new TcpProxy(
      listener,
      portOf(listener),
      options.ftp ?? false,
      options.bytesPerSecond ?? Number.POSITIVE_INFINITY,
    );
    listener.on('connection', (client) => proxy.accept(client, targetPort, proxy.isFtp));
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
    for (const data of this.dataListeners) data.close();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(client: Socket, targetPort: number, isFtpControl = false): void {
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
    server.on('data', (chunk: Buffer) => {
      if (isFtpControl && PASSIVE_REPLY.test(chunk.toString('latin1'))) {
        void this.passive(pair, chunk);
        return;
      }
      this.forward(pair, chunk, client);
      this.pace(pair, chunk.length);
    });
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

  /** Holds the server side of `pair` for as long as `bytes` take at the paced rate. */
  private pace(pair: Pair, bytes: number): void {
    if (!Number.isFinite(this.bytesPerSecond)) return;
    pair.server.pause();
    setTimeout(
      () => {
        if (!this.isStalled && this.pairs.has(pair)) pair.server.resume();
      },
      Math.ceil((bytes * 1000) / this.bytesPerSecond),
    );
  }

  /** Opens a port of our own for the data connection a passive reply announces, and forwards the reply naming it. */
  private async passive(pair: Pair, chunk: Buffer): Promise<void> {
    pair.server.pause();
    const data = await listen();
    this.dataListeners.add(data);
    const m = PASSIVE_REPLY.exec(chunk.toString('latin1')) as RegExpExecArray;
    const serverPort = m[1] !== undefined ? Number(m[6]) * 256 + Number(m[7]) : Number(m[10]);
    const port = portOf(data);
    data.once('connection', (client) => {
      this.dataListeners.delete(data);
      data.close();
      this.dataConnections += 1;
      this.accept(client, serverPort);
    });
    const rewritten =
      m[1] !== undefined ? `${m[1]}127,0,0,1,${port >> 8},${port & 255}${m[8]}` : `${m[9]}${port}${m[11]}`;
    this.forward(pair, Buffer.from(chunk.toString('latin1').replace(PASSIVE_REPLY, rewritten), 'latin1'), pair.client);
    if (!this.isStalled) pair.server.resume();
  }

  private destroy(pair: Pair): void {
    if (!this.pairs.delete(pair)) return;
    pair.client.resetAndDestroy();
    pair.server.resetAndDestroy();
  }
}

async function listen(): Promise<Server> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  return listener;
}

function portOf(listener: Server): number {
  const address = listener.address();
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no port');
  return address.port;
}
