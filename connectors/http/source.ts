// The http source: an ingest server path. A request is answered 2xx only once its events are stored (the
// `emit` promise), refused whole otherwise, so a client that sees anything but 2xx can send it again and
// nothing is half stored. With an Idempotency-Key, a repeated request is stored once.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type SluiceError, toSluiceError } from '../../core/errors.js';
import { parseTimestamp } from '../../core/event.js';
import {
  defineSource,
  type Emit,
  type EmitResult,
  MAX_TIMER_MS,
  type PluginContext,
  secret,
  z,
} from '../../core/plugin.js';
import { createBearerCheck } from './bearer-token.js';
import { type EventDefaults, parseBody } from './body-parser.js';
import { type BodyLimits, bodyEncoding, checkDeclaredLength, readBody } from './body-reader.js';
import { ClientAddresses, proxyEntryProblem } from './client-address.js';
import { answerPreflight, applyCors, type CorsOptions } from './cors.js';
import { RequestRefused } from './request-refused.js';
import { type AttachedRoute, attachRoute, normalizePath } from './server-registry.js';
import { loadServerTls, type ServerTls } from './server-tls.js';
import { beginSignatureCheck, type PendingSignature } from './signature.js';

const MiB = 1024 * 1024;
// After refusing a body mid-upload, the client gets this long to read the answer before the socket is cut.
const REFUSAL_GRACE_MS = 2_000;
const MAX_IDEMPOTENCY_KEY = 256;

const config = z
  .object({
    host: z
      .string()
      .default('0.0.0.0')
      .describe('Address to listen on: 0.0.0.0 for all, 127.0.0.1 for this host only.'),
    port: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(8080)
      .describe('Port to listen on. Sources with the same host and port share one server, each on its own path.'),
    path: z
      .string()
      .regex(/^\/[^?#]*$/, 'a path starts with / and has no query')
      .default('/')
      .describe('Path that accepts events, such as /gps. /healthz and /readyz are the health checks.'),
    methods: z
      .array(z.enum(['POST', 'PUT']))
      .min(1)
      .default(['POST', 'PUT'])
      .describe('Methods that deliver events.'),
    format: z
      .enum(['auto', 'json', 'ndjson', 'cloudevents', 'raw'])
      .default('auto')
      .describe(
        '`auto` reads the Content-Type: application/json (an event or an array), application/x-ndjson, CloudEvents (structured, batch or binary `ce-*` headers), anything else raw bytes.',
      ),
    keyHeader: z
      .string()
      .default('x-event-key')
      .describe('Header giving the key of events that carry none (raw bodies, bare values).'),
    keyParam: z.string().default('key').describe('Query parameter giving the key, when the header is absent.'),
    tsHeader: z
      .string()
      .default('x-event-time')
      .describe('Header giving the event time (ISO-8601, epoch s or ms) of events that carry none.'),
    tsParam: z.string().default('ts').describe('Query parameter giving the event time, when the header is absent.'),
    maxBodyBytes: z
      .number()
      .int()
      .positive()
      .default(10 * MiB)
      .describe('Largest body accepted, in bytes as sent; a larger one is refused with 413 without being read.'),
    maxDecompressedBytes: z
      .number()
      .int()
      .positive()
      .default(32 * MiB)
      .describe('Largest body once a gzip body is inflated; a larger one is refused with 413.'),
    maxEventsPerRequest: z
      .number()
      .int()
      .positive()
      .default(10_000)
      .describe('Most events in one request; more is refused with 413.'),
    maxJsonDepth: z
      .number()
      .int()
      .positive()
      .max(1000)
      .default(64)
      .describe(
        'Deepest nesting of objects and arrays accepted in a JSON, NDJSON or CloudEvents body; deeper is refused with 400.',
      ),
    bodyTimeoutMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .positive()
      .default(30_000)
      .describe('Longest time a body may take to arrive, ms; a slower one is refused with 408.'),
    maxConcurrentRequests: z
      .number()
      .int()
      .positive()
      .default(64)
      .describe(
        'Requests being stored at once on this path (their bodies read); more are answered 503 with Retry-After.',
      ),
    maxRequestsPerClient: z
      .number()
      .int()
      .positive()
      .default(8)
      .describe(
        'Requests from one client address whose bodies are still arriving; more are answered 429 with Retry-After, so that slow senders cannot hold the server from the others. A request whose body has arrived counts only against maxConcurrentRequests.',
      ),
    trustedProxies: z
      .array(
        z.string().superRefine((entry, ctx) => {
          const problem = proxyEntryProblem(entry);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
      )
      .default([])
      .describe(
        'Addresses or CIDR ranges of load balancers and reverse proxies in front of this server (10.0.0.0/8, ::1). ' +
          'A request from one of them is counted, for maxRequestsPerClient, against the client that X-Forwarded-For ' +
          'names (the right-most address no trusted proxy added); from anywhere else, against its own address.',
      ),
    retryAfterSeconds: z
      .number()
      .int()
      .positive()
      .default(5)
      .describe('Retry-After sent with a 503 when storage is unavailable and gave no better hint.'),
    idempotencyHeader: z
      .string()
      .default('Idempotency-Key')
      .describe('Header whose value makes a retried request be stored once.'),
    auth: z
      .object({
        bearerTokens: secret(
          z
            .array(z.string().min(1))
            .default([])
            .describe('Accepted tokens for `Authorization: Bearer <token>`; empty: no bearer check.'),
        ),
        hmac: z
          .object({
            secret: secret(z.string().min(16).describe('Shared secret of the HMAC-SHA256 signature.')),
            header: z
              .string()
              .default('x-signature')
              .describe('Header carrying `sha256=<hex of HMAC(secret, timestamp + "." + body)>`.'),
            timestampHeader: z
              .string()
              .default('x-signature-timestamp')
              .describe('Header carrying the signing time, epoch seconds.'),
            toleranceSeconds: z
              .number()
              .int()
              .positive()
              .default(300)
              .describe('How far the signing time may be from our clock; older (or newer) is refused.'),
          })
          .optional()
          .describe('Require an HMAC-SHA256 signature over timestamp and body; a replayed signature is refused.'),
      })
      .prefault({})
      .describe('Client authentication. When both are set, both are required.'),
    tls: z
      .object({
        cert: z.string().describe('Server certificate (chain), PEM text or a file path.'),
        key: secret(z.string().describe('Private key, PEM text or a file path.')),
        passphrase: secret(z.string().optional().describe('Passphrase of an encrypted key.')),
      })
      .optional()
      .describe('Serve HTTPS with this certificate and key.'),
    cors: z
      .object({
        allowedOrigins: z
          .array(z.string())
          .default([])
          .describe('Origins browsers may post from (`https://app.example.com`, or `*`); empty: CORS off.'),
        maxAgeSeconds: z.number().int().nonnegative().default(600).describe('How long a preflight answer is cached.'),
      })
      .prefault({})
      .describe('Cross-origin requests from browsers; off by default.'),
  })
  .describe('Receive events over HTTP.');

type HttpSourceConfig = z.output<typeof config>;

/** A request taken in: `bodyRead` once its body has arrived (then it no longer counts for its client), `done` last. */
interface Admission {
  bodyRead(): void;
  done(): void;
}

/** What the headers of a request decide, for the steps that read and store its body. */
interface RequestPlan {
  signature?: PendingSignature;
  idempotencyKey?: string;
  defaults: EventDefaults;
}

interface Reply {
  status: number;
  body: { error: string } | { stored: number; ids: string[]; duplicate: boolean };
  headers?: Record<string, string>;
}

/**
 * Answers the request. With `cut`, the rest of the body is never read: Node would close the socket at once
 * after the answer, and closing with unread data resets the connection, which can swallow the answer. So the
 * answer goes out on a kept-alive response, then the socket is half-closed and the client gets a moment to
 * read it before the socket is destroyed.
 */
function send(req: IncomingMessage, res: ServerResponse, reply: Reply, cut: boolean): void {
  if (res.headersSent) return;
  const text = JSON.stringify(reply.body);
  if (cut && !req.complete) {
    req.pause();
    res.once('finish', () => {
      req.socket.end();
      setTimeout(() => req.socket.destroy(), REFUSAL_GRACE_MS).unref();
    });
  }
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...reply.headers,
  });
  res.end(text);
}

/** True when the unread body of a refused request is small enough to be read and dropped, keeping the connection. */
function isDrainable(req: IncomingMessage, maxBytes: number, expectsContinue: boolean): boolean {
  if (expectsContinue) return false;
  const length = Number(req.headers['content-length']);
  return Number.isFinite(length) && length <= Math.min(maxBytes, 1024 * 1024);
}

function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

function retryAfterSeconds(ms: number | undefined, fallback: number): string {
  return String(ms === undefined ? fallback : Math.max(1, Math.ceil(ms / 1000)));
}

export interface HttpSourceInstance {
  listen(emit: Emit): Promise<void>;
  /** Where the source listens, once `listen` has started the server (for tests and startup logs). */
  address(): Promise<{ host: string; port: number; url: string }>;
  /** Stops taking requests, answers those in progress, and leaves the server. */
  close(): Promise<void>;
}

class HttpSource implements HttpSourceInstance {
  private readonly limits: BodyLimits;
  private readonly checkBearer?: (authorization: string | undefined) => boolean;
  private readonly cors: CorsOptions;
  private readonly what: string;
  private inFlight = 0;
  private storing = 0;
  private readonly perClient = new Map<string, number>();
  private readonly clients: ClientAddresses;
  private isDraining = false;
  private unavailableUntil = 0;
  private attached?: AttachedRoute;
  private readonly listening: Promise<AttachedRoute>;
  private resolveListening!: (route: AttachedRoute) => void;
  private rejectListening!: (err: unknown) => void;
  private fail?: (err: SluiceError) => void;
  private readonly idle = new Set<() => void>();
  private drained?: Promise<void>;
  private readonly tls?: ServerTls;

  constructor(
    private readonly cfg: HttpSourceConfig,
    private readonly ctx: PluginContext,
  ) {
    this.what = `http source "${ctx.pipeline}"`;
    this.clients = new ClientAddresses(cfg.trustedProxies);
    // Read the certificate now, so that a wrong path is a config error before anything starts.
    if (cfg.tls) this.tls = loadServerTls(cfg.tls, this.what, ctx.baseDir);
    this.limits = {
      maxBytes: cfg.maxBodyBytes,
      maxDecompressedBytes: cfg.maxDecompressedBytes,
      timeoutMs: cfg.bodyTimeoutMs,
    };
    if (cfg.auth.bearerTokens.length > 0) this.checkBearer = createBearerCheck(cfg.auth.bearerTokens);
    const hmac = cfg.auth.hmac;
    this.cors = {
      allowedOrigins: cfg.cors.allowedOrigins,
      maxAgeSeconds: cfg.cors.maxAgeSeconds,
      methods: cfg.methods,
      allowedHeaders: [
        'content-type',
        'content-encoding',
        'authorization',
        cfg.idempotencyHeader.toLowerCase(),
        cfg.keyHeader,
        cfg.tsHeader,
        ...(hmac ? [hmac.header, hmac.timestampHeader] : []),
      ],
    };
    this.listening = new Promise((resolve, reject) => {
      this.resolveListening = resolve;
      this.rejectListening = reject;
    });
    // Callers that never ask for the address must not see an unhandled rejection.
    this.listening.catch(() => {});
  }

  async address() {
    const route = await this.listening;
    return { host: route.host, port: route.port, url: route.url };
  }

  async listen(emit: Emit): Promise<void> {
    const { cfg, ctx, tls } = this;
    try {
      this.attached = await attachRoute(
        { host: cfg.host, port: cfg.port, ...(tls ? { tls } : {}) },
        {
          path: cfg.path,
          handle: (req, res, expectsContinue) => void this.handle(req, res, expectsContinue, emit),
          isReady: () => !this.isDraining && Date.now() >= this.unavailableUntil,
        },
      );
    } catch (err) {
      this.rejectListening(err);
      throw err;
    }
    this.resolveListening(this.attached);
    if (this.drained) {
      // Closed while the server was starting.
      await this.attached.detach();
      return;
    }
    ctx.logger.info({ url: this.attached.url }, `${this.what} listening on ${this.attached.url}`);
    try {
      await new Promise<void>((resolve, reject) => {
        if (ctx.signal.aborted) resolve();
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        this.fail = reject;
      });
    } finally {
      await this.drain();
    }
  }

  /** Stops taking requests, lets those in flight finish (they are answered), then leaves the server. Once. */
  private drain(): Promise<void> {
    this.drained ??= (async () => {
      this.isDraining = true;
      if (this.inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.cfg.bodyTimeoutMs + 5_000);
          this.idle.add(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      await this.attached?.detach();
    })();
    return this.drained;
  }

  async close(): Promise<void> {
    await this.drain();
  }

  private async handle(req: IncomingMessage, res: ServerResponse, expectsContinue: boolean, emit: Emit) {
    if (this.cors.allowedOrigins.length > 0) {
      if (answerPreflight(req, res, this.cors)) return;
      applyCors(req, res, this.cors);
    }
    const { reply, cut } = await this.answer(req, res, expectsContinue, emit);
    const message = `${this.what}: answered ${reply.status}${'error' in reply.body ? `: ${reply.body.error}` : ''}`;
    if (reply.status >= 500) this.ctx.logger.warn({ status: reply.status, path: this.cfg.path }, message);
    else if (reply.status >= 400) this.ctx.logger.debug({ status: reply.status, path: this.cfg.path }, message);
    send(req, res, reply, cut);
  }

  /**
   * The steps of a request, each giving the next what it needs. Until the body is touched, a refusal leaves a
   * small declared body for Node to drop (the connection stays usable); once it is, a refusal cuts the socket.
   */
  private async answer(
    req: IncomingMessage,
    res: ServerResponse,
    expectsContinue: boolean,
    emit: Emit,
  ): Promise<{ reply: Reply; cut: boolean }> {
    const beforeBody = (err: unknown) => ({
      reply: this.replyFor(err),
      cut: !isDrainable(req, this.cfg.maxBodyBytes, expectsContinue),
    });
    let admission: Admission;
    let plan: RequestPlan;
    try {
      admission = this.admit(req);
    } catch (err) {
      return beforeBody(err);
    }
    try {
      try {
        plan = this.plan(req);
      } catch (err) {
        return beforeBody(err);
      }
      if (expectsContinue) res.writeContinue();
      const reply = await this.receiveAndStore(req, plan, emit, admission).catch((err) => this.replyFor(err));
      return { reply, cut: true };
    } finally {
      admission.done();
    }
  }

  /**
   * Takes the request in, or refuses it: shutting down, wrong method, or its client has too many bodies still
   * arriving. A request stops counting against its client once its body is read: what it holds then is a storing
   * slot, which maxConcurrentRequests bounds for every client together. So slow senders get no more than their
   * share, and a fast client with many requests in flight is not refused for a moment's slowness of storage.
   */
  private admit(req: IncomingMessage): Admission {
    const { cfg } = this;
    if (this.isDraining) {
      throw new RequestRefused(503, 'this server is shutting down: send to another one, or again shortly', {
        'retry-after': '1',
      });
    }
    if (!cfg.methods.includes(req.method as 'POST')) {
      throw new RequestRefused(405, `${req.method} is not accepted here: use ${cfg.methods.join(' or ')}`, {
        allow: cfg.methods.join(', '),
      });
    }
    const client = this.clients.clientOf(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const ofClient = this.perClient.get(client) ?? 0;
    if (ofClient >= cfg.maxRequestsPerClient) {
      throw new RequestRefused(
        429,
        `${ofClient} requests from this client are still sending their bodies (the limit is ${cfg.maxRequestsPerClient}): wait for them`,
        { 'retry-after': '1' },
      );
    }
    this.perClient.set(client, ofClient + 1);
    this.inFlight++;
    let isReceiving = true;
    const bodyRead = () => {
      if (!isReceiving) return;
      isReceiving = false;
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left === 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    };
    return {
      bodyRead,
      done: () => {
        bodyRead();
        this.inFlight--;
        if (this.inFlight === 0) for (const f of this.idle) f();
      },
    };
  }

  /** Everything decided from the headers, before the body is read (or 100 Continue sent). */
  private plan(req: IncomingMessage): RequestPlan {
    const { cfg } = this;
    if (this.checkBearer && !this.checkBearer(req.headers.authorization)) {
      throw new RequestRefused(401, 'a valid bearer token is required', { 'www-authenticate': 'Bearer' });
    }
    const hmac = cfg.auth.hmac;
    const signature = hmac
      ? beginSignatureCheck(req.headers, {
          secret: hmac.secret,
          header: hmac.header,
          timestampHeader: hmac.timestampHeader,
          toleranceMs: hmac.toleranceSeconds * 1000,
        })
      : undefined;
    bodyEncoding(req);
    checkDeclaredLength(req, this.limits);
    const idempotencyKey = firstHeader(req, cfg.idempotencyHeader);
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > MAX_IDEMPOTENCY_KEY)) {
      throw new RequestRefused(400, `${cfg.idempotencyHeader} must be 1 to ${MAX_IDEMPOTENCY_KEY} characters`);
    }
    return { signature, idempotencyKey, defaults: this.defaults(req) };
  }

  private async receiveAndStore(
    req: IncomingMessage,
    plan: RequestPlan,
    emit: Emit,
    admission: Admission,
  ): Promise<Reply> {
    const { signature } = plan;
    const body = await readBody(req, this.limits, signature ? (chunk) => signature.update(chunk) : undefined);
    admission.bodyRead();
    const replayMarker = signature ? await this.claimSignature(signature) : undefined;
    try {
      const events = parseBody({
        format: this.cfg.format,
        headers: req.headers,
        body,
        defaults: plan.defaults,
        maxJsonDepth: this.cfg.maxJsonDepth,
      });
      if (events.length > this.cfg.maxEventsPerRequest) {
        throw new RequestRefused(413, `${events.length} events is over the limit of ${this.cfg.maxEventsPerRequest}`);
      }
      const result = events.length === 0 ? { ids: [], duplicate: false } : await this.storeInSlot(emit, events, plan);
      return {
        status: 200,
        body: { stored: result.ids.length, ids: result.ids, duplicate: result.duplicate },
        ...(result.duplicate ? { headers: { 'idempotent-replayed': 'true' } } : {}),
      };
    } catch (err) {
      // A request that did not store may be sent again with the same signature.
      if (replayMarker) await this.ctx.state.delete(replayMarker).catch(() => {});
      throw err;
    }
  }

  /** Verifies a signature over the body read and marks it used; returns the marker, to free if nothing is stored. */
  private async claimSignature(signature: PendingSignature): Promise<string> {
    signature.verify();
    // A signature is good for twice the tolerance (the window is ± tolerance around its timestamp).
    const marker = `hmac-seen:${signature.replayId}`;
    const ttlMs = 2 * (this.cfg.auth.hmac?.toleranceSeconds ?? 0) * 1000;
    if (!(await this.ctx.state.setIfAbsent(marker, '1', ttlMs))) {
      throw new RequestRefused(409, 'signature refused: this signature was already used (a replay); sign again');
    }
    return marker;
  }

  /** Stores within maxConcurrentRequests: only requests whose bodies are read take a slot. */
  private async storeInSlot(emit: Emit, events: Parameters<Emit>[0], plan: RequestPlan): Promise<EmitResult> {
    if (this.storing >= this.cfg.maxConcurrentRequests) {
      throw new RequestRefused(503, 'too many requests in progress: send again shortly', { 'retry-after': '1' });
    }
    this.storing++;
    try {
      return await this.store(emit, events, plan.idempotencyKey);
    } finally {
      this.storing--;
    }
  }

  private defaults(req: IncomingMessage): EventDefaults {
    const { cfg } = this;
    const query = new URL(req.url ?? '/', 'http://localhost').searchParams;
    const key = firstHeader(req, cfg.keyHeader) ?? query.get(cfg.keyParam) ?? null;
    const rawTs = firstHeader(req, cfg.tsHeader) ?? query.get(cfg.tsParam) ?? undefined;
    let ts = Date.now();
    if (rawTs !== undefined) {
      const parsed = parseTimestamp(rawTs);
      if (parsed === undefined) {
        throw new RequestRefused(400, `event time "${rawTs}" is not ISO-8601 text or epoch seconds/milliseconds`);
      }
      ts = parsed;
    }
    return { key, ts };
  }

  private async store(emit: Emit, events: Parameters<Emit>[0], idempotencyKey: string | undefined) {
    try {
      // A client waiting on a full topic would only time out: refuse at once with 429 and a Retry-After.
      return await emit(events, { idempotencyKey, maxWaitMs: 0 });
    } catch (err) {
      const e = toSluiceError(err);
      if (e.kind === 'retryable') {
        this.unavailableUntil = Date.now() + (e.retryAfterMs ?? this.cfg.retryAfterSeconds * 1000);
        const retryAfter = retryAfterSeconds(e.retryAfterMs, this.cfg.retryAfterSeconds);
        if (e.code === 'E_BACKPRESSURE') {
          throw new RequestRefused(429, `storage is behind (${e.message}): nothing was stored, send again later`, {
            'retry-after': retryAfter,
          });
        }
        throw new RequestRefused(503, 'storage is unavailable: nothing was stored, send again later', {
          'retry-after': retryAfter,
        });
      }
      if (e.kind === 'record') throw new RequestRefused(422, `events refused: ${e.message}`);
      // Fatal or config: this source cannot go on; the runtime stops the pipeline with the reason.
      this.fail?.(e);
      throw new RequestRefused(500, 'the pipeline behind this path has stopped: nothing was stored');
    }
  }

  private replyFor(err: unknown): Reply & { body: { error: string } } {
    if (err instanceof RequestRefused) {
      return { status: err.status, body: { error: err.message }, headers: err.headers };
    }
    this.ctx.logger.error({ err }, `${this.what}: unexpected error while handling a request`);
    return { status: 500, body: { error: 'internal error: nothing was stored' } };
  }
}

export default defineSource({
  name: 'http',
  summary: 'Receive events over HTTP: JSON, NDJSON, CloudEvents or raw bytes, answered once stored.',
  config,
  create: (cfg, ctx) => {
    return new HttpSource({ ...cfg, path: normalizePath(cfg.path) }, ctx);
  },
});
