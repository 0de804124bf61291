// A TCP proxy between one process and Redis that counts what that process asks of Redis: round trips and
// commands. A round trip is a request the client sends and then waits for: on each connection, a burst of bytes
// from the client that follows a reply (or opens the connection) is one, however many commands it holds, so a
// pipeline, a MULTI block or a script is one and a blocking read is one when it returns. Commands are counted by
// parsing the client's RESP arrays, by name. A round trip whose whole answer is a null is a blocking
// read that timed out with nothing to do: counted apart as an idle poll. It runs in the bench's own process, only for counting runs: the
// hop it adds would slow the measured throughput.
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface RoundTripCounts {
  /** Round trips with an answer: work done, idle polls not included. */
  roundTrips: number;
  /** Blocking reads that timed out empty. */
  idlePolls: number;
  commands: number;
  /** Commands by upper-case name. */
  byName: Record<string, number>;
}

export interface RoundTripProxy {
  /** `redis://127.0.0.1:<port>`: give it to the process whose requests are counted. */
  url: string;
  /** The counts since the start or the last reset; resets them. */
  take(): RoundTripCounts;
  close(): Promise<void>;
}

const CR = 13;
// A null answer in RESP2 (null array) and in RESP3 (null), which a client may have asked for with HELLO 3.
const NULL_ANSWERS = [Buffer.from('*-1\r\n'), Buffer.from('_\r\n')];
const zero = (): RoundTripCounts => ({ roundTrips: 0, idlePolls: 0, commands: 0, byName: {} });

/**
 * Reads client→server RESP from chunks as they arrive and calls `onCommand(name)` once per complete command.
 * Clients send arrays of bulk strings (`*N\r\n$len\r\nbytes\r\n…`); an inline command is a single line.
 */
export class CommandReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onCommand: (name: string) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    for (;;) {
      const end = this.commandEnd(at);
      if (end < 0) break;
      at = end;
    }
    this.pending = this.pending.subarray(at);
  }

  /** Where the command starting at `at` ends, after reporting it; -1 when it is not complete yet. */
  private commandEnd(at: number): number {
    const buf = this.pending;
    const line = this.lineAt(at);
    if (!line) return -1;
    if (buf[at] !== 0x2a /* '*' */) {
      const name = buf.toString('latin1', at, line.end).trim().split(' ')[0];
      if (name) this.onCommand(name.toUpperCase());
      return line.next;
    }
    const count = Number(buf.toString('latin1', at + 1, line.end));
    let next = line.next;
    let name = '';
    for (let i = 0; i < count; i++) {
      const header = this.lineAt(next);
      if (!header) return -1;
      const length = Number(buf.toString('latin1', next + 1, header.end));
      const dataEnd = header.next + length;
      if (dataEnd + 2 > buf.length) return -1;
      if (i === 0) name = buf.toString('latin1', header.next, dataEnd).toUpperCase();
      next = dataEnd + 2;
    }
    this.onCommand(name);
    return next;
  }

  private lineAt(at: number): { end: number; next: number } | undefined {
    const buf = this.pending;
    const cr = buf.indexOf(CR, at);
    if (cr < 0 || cr + 1 >= buf.length) return undefined;
    return { end: cr, next: cr + 2 };
  }
}

/** Starts a counting proxy to the Redis at `target` (a redis:// URL) on a free loopback port. */
export async function startRoundTripProxy(target: string): Promise<RoundTripProxy> {
  const upstream = new URL(target);
  let counts = zero();
  const onCommand = (name: string) => {
    counts.commands++;
    counts.byName[name] = (counts.byName[name] ?? 0) + 1;
  };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const redis = createConnection({ host: upstream.hostname, port: Number(upstream.port || 6379) });
    for (const s of [client, redis]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        redis.destroy();
      });
    }
    const reader = new CommandReader(onCommand);
    // Whether the client sent since the last answer, and whether this answer so far is one null.
    let isWaiting = false;
    let isIdleAnswer = false;
    client.on('data', (chunk: Buffer) => {
      if (!isWaiting) {
        isWaiting = true;
        counts.roundTrips++;
      }
      reader.push(chunk);
      redis.write(chunk);
    });
    redis.on('data', (chunk: Buffer) => {
      if (isWaiting) {
        isWaiting = false;
        isIdleAnswer = NULL_ANSWERS.some((n) => chunk.equals(n));
        if (isIdleAnswer) {
          counts.roundTrips--;
          counts.idlePolls++;
        }
      } else if (isIdleAnswer) {
        // More came with it: the turn was an answer after all.
        isIdleAnswer = false;
        counts.roundTrips++;
        counts.idlePolls--;
      }
      client.write(chunk);
    });
    client.on('end', () => redis.end());
    redis.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const auth = upstream.username || upstream.password ? `${upstream.username}:${upstream.password}@` : '';
  return {
    url: `redis://${auth}127.0.0.1:${port}${upstream.pathname}`,
    take() {
      const taken = counts;
      counts = zero();
      return taken;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
