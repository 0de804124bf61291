// An HTTP server that takes the HTTP sink's batches (a JSON array of `{ seq }` values) and counts each sequence
// number it accepted, for the chaos cases. It can fail on command (503 to every request) and, like a receiver
// that remembers keys, answer a repeated Idempotency-Key with 200 without counting the batch again. An
// interrupted request (a cut body) is never counted: only a whole body that parses is.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { countSequences } from './fleet.js';
import { closeServer } from './loopback.js';

export class SequenceReceiver {
  /** Sequence numbers of the batches accepted (after dropping repeated keys). */
  readonly counts = new Map<number, number>();
  /** Every sequence number in a whole body that arrived, repeats included. */
  readonly rawCounts = new Map<number, number>();
  /** When each Idempotency-Key first arrived (ms since the epoch), and its `x-sender` header. */
  private readonly firstSeen = new Map<string, { at: number; sender?: string }>();
  /** Each request that repeated a key: its sender, and when and from whom that key had first arrived. */
  readonly repeats: Array<{ key: string; first: { at: number; sender?: string }; sender?: string; at: number }> = [];
  /** Every whole request accepted, in arrival order: when, from whom, its key and its sequence numbers. */
  readonly log: Array<{ at: number; sender?: string; key?: string; seqs: number[] }> = [];
  isFailing = false;
  /** Starts failing by itself once this many distinct sequence numbers were accepted. */
  failAfter = Number.POSITIVE_INFINITY;
  requests = 0;
  refused = 0;
  repeatedKeys = 0;
  /** When the last batch was accepted (ms since the epoch), 0 before any. */
  lastAcceptedAt = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<SequenceReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('sequence receiver: no port');
    const receiver = new SequenceReceiver(server, address.port);
    server.on('request', (req, res) => void receiver.handle(req, res));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/in`;
  }

  /** The requests that carried a sequence number accepted more than once, for a failing case to print. */
  requestsWithRepeats(): string[] {
    const repeated = new Set([...this.counts].filter(([, n]) => n > 1).map(([seq]) => seq));
    if (repeated.size === 0) return [];
    const t0 = this.log[0]?.at ?? 0;
    return this.log
      .filter((r) => r.seqs.some((seq) => repeated.has(seq)))
      .map((r) => {
        const again = r.seqs.filter((seq) => repeated.has(seq)).length;
        return `+${r.at - t0} ms from ${r.sender ?? '?'}: ${r.seqs.length} events ${r.seqs[0]}..${r.seqs.at(-1)}, ${again} repeated, key ${r.key ?? '-'}`;
      });
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of req) chunks.push(chunk as Buffer);
    } catch {
      return;
    }
    if (this.isFailing) {
      this.refused += 1;
      res.writeHead(503, { 'retry-after': '1' }).end('failing on purpose');
      return;
    }
    const seqs = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<{ seq: number }>).map((v) => v.seq);
    countSequences(seqs, this.rawCounts);
    const key = req.headers['idempotency-key'];
    const sender = req.headers['x-sender'] as string | undefined;
    const first = typeof key === 'string' ? this.firstSeen.get(key) : undefined;
    this.log.push({
      at: Date.now(),
      sender,
      key: typeof key === 'string' ? key : undefined,
      seqs,
    });
    if (typeof key === 'string' && first !== undefined) {
      this.repeatedKeys += 1;
      this.repeats.push({ key, first, sender, at: Date.now() });
    } else {
      if (typeof key === 'string') this.firstSeen.set(key, { at: Date.now(), sender });
      countSequences(seqs, this.counts);
      this.lastAcceptedAt = Date.now();
      if (this.counts.size >= this.failAfter) {
        this.failAfter = Number.POSITIVE_INFINITY;
        this.isFailing = true;
      }
    }
    res.writeHead(200).end();
  }
}
