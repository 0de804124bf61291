// A fleet for the console's tests: one `sluice worker` on the machine's Redis (a prefix of its own) with an admin
// port behind a token and the console on, running one pipeline `orders`: an HTTP source the test feeds, the topic
// `orders`, and an HTTP sink (one request per event) into a receiver the test controls. The receiver refuses the
// orders it is told to with 422, which the http sink reports as a record error, so those orders are dead-lettered
// (in `orders.dlq`), as is any body that is not JSON; told to accept an order again, it takes its redrive. The
// fleet has a headless Chromium to open the console in, given the token as a person gives it.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { ConsoleBrowser, type ConsolePage } from './browser.js';
import { SluiceProcess, waitFor } from './fleet.js';
import { closeServer, freePort } from './loopback.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from './redis-prefix.js';

/** An order as the test sends it; the receiver knows an order by its `id`. */
export interface Order {
  id: string;
  [field: string]: unknown;
}

/** The HTTP endpoint behind the sink: accepts every order but the refused ones, and remembers what it took. */
export class OrderReceiver {
  /** Orders accepted, in arrival order (a repeat appears again). */
  readonly accepted: Order[] = [];
  private readonly refused = new Set<string>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OrderReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('order receiver: no port');
    const receiver = new OrderReceiver(server, `http://127.0.0.1:${address.port}/orders`);
    server.on('request', (req, res) => void receiver.handle(req, res));
    return receiver;
  }

  /** From now on, answer this order with 422 (a record-level refusal). */
  refuse(id: string): void {
    this.refused.add(id);
  }

  /** From now on, take this order like any other. */
  accept(id: string): void {
    this.refused.delete(id);
  }

  has(id: string): boolean {
    return this.accepted.some((order) => order.id === id);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let order: Order;
    try {
      order = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Order;
    } catch {
      res.writeHead(422, { 'content-type': 'text/plain' }).end('not an order: the body is not JSON');
      return;
    }
    if (this.refused.has(order.id)) {
      res.writeHead(422, { 'content-type': 'text/plain' }).end(`order ${order.id} has no customer`);
      return;
    }
    this.accepted.push(order);
    res.writeHead(200).end();
  }
}

interface FleetParts {
  token: string;
  prefix: string;
  receiver: OrderReceiver;
  worker: SluiceProcess;
  adminUrl: string;
  ingestUrl: string;
  redis: Redis;
  browser: ConsoleBrowser;
}

export class ConsoleFleet {
  readonly pipeline = 'orders';
  readonly topic = 'orders';
  readonly deadLetterTopic = 'orders.dlq';
  readonly sink = 'receiver';
  readonly token: string;
  readonly receiver: OrderReceiver;
  readonly worker: SluiceProcess;
  readonly adminUrl: string;

  private constructor(private readonly parts: FleetParts) {
    ({ token: this.token, receiver: this.receiver, worker: this.worker, adminUrl: this.adminUrl } = parts);
  }

  static async start(): Promise<ConsoleFleet> {
    // First, so that a missing Chromium fails the test before anything else is started.
    const browser = await ConsoleBrowser.launch();
    const redis = await connectTestRedis();
    const prefix = uniquePrefix('console');
    const dir = mkdtempSync(join(tmpdir(), 'sluice-console-'));
    const receiver = await OrderReceiver.start();
    const ingestPort = await freePort();
    const file = join(dir, 'fleet.yaml');
    writeFileSync(
      file,
      `redis: { url: "${TEST_REDIS_URL}", prefix: "${prefix}" }
pipelines:
  orders:
    source: { type: http, host: 127.0.0.1, port: ${ingestPort}, path: /orders }
    topic: orders
    sinks:
      - { type: http, name: receiver, url: "${receiver.url}", mode: event }
`,
    );
    const token = `console-${randomUUID()}`;
    const args = ['worker', file, '--admin', '127.0.0.1:0', '--admin-token', token, '--console'];
    const worker = SluiceProcess.start(args, join(dir, 'worker.log'), { WORKER_NAME: 'console-w1' });
    const adminUrl = await worker.adminUrl();
    await worker.whenStarted();
    const ingestUrl = `http://127.0.0.1:${ingestPort}/orders`;
    return new ConsoleFleet({ token, prefix, receiver, worker, adminUrl, ingestUrl, redis, browser });
  }

  /** Opens the console at one view (`dead-letters`, `tap?…`) and gives it the token, as a person would. */
  async openConsole(view: string): Promise<ConsolePage> {
    const page = await this.parts.browser.open(`${this.adminUrl}/console/#/${view}`);
    const token = page.page.getByLabel('Token', { exact: true });
    await token.fill(this.token);
    await token.press('Enter');
    await token.waitFor({ state: 'detached' });
    return page;
  }

  /** Sends orders to the HTTP source; resolves once they are stored (the source answers only then). */
  send(orders: readonly Order[]): Promise<void> {
    const body = JSON.stringify(orders.map((order) => ({ key: order.id, value: order })));
    return this.post(body, 'application/json');
  }

  /** Sends one event of raw bytes, which the receiver refuses as not an order. */
  sendBytes(bytes: Uint8Array): Promise<void> {
    return this.post(bytes, 'application/octet-stream');
  }

  private async post(body: string | Uint8Array, contentType: string): Promise<void> {
    let status = 0;
    // The ingest server may open a moment after the worker says it started.
    await waitFor(
      async () => {
        const res = await fetch(this.parts.ingestUrl, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
        }).catch(() => undefined);
        status = res?.status ?? 0;
        return res !== undefined;
      },
      30_000,
      'the ingest server',
    );
    if (status !== 200) throw new Error(`the HTTP source answered ${status}`);
  }

  /** Calls the admin API with the token, the way the console does; throws on a non-2xx answer. */
  async api<T>(path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.adminUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  async stop(): Promise<void> {
    await this.parts.browser.close();
    this.worker.kill('SIGTERM');
    await this.worker.exited;
    await this.receiver.close();
    await deleteKeysWithPrefix(this.parts.redis, this.parts.prefix);
    this.parts.redis.disconnect();
  }
}
