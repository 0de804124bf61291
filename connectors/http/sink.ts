// The http sink: delivers events to an HTTP endpoint, one request per event or per batch, through one
// keep-alive undici Pool per origin. Each request carries an Idempotency-Key derived from the event ids, so a
// redelivery after a retry can be dropped by the receiver.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { type Dispatcher, request } from 'undici';
import { ConfigError, RecordError, RetryableError, type SluiceError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import {
  defineSink,
  type PluginContext,
  type RecordRejection,
  secret,
  type WriteContext,
  z,
} from '../../core/plugin.js';
import { classifyNetworkError, classifyStatus, readExcerpt } from './classify-error.js';
import { clientAuthSchema, clientTlsSchema, describeUrl, timeoutsSchema } from './connection.js';
import { checkEndpoint } from './connection-check.js';
import { createHostAllowlist, type HostAllowlist } from './host-allowlist.js';
import { batchIdempotencyKey, eventIdempotencyKey } from './idempotency-key.js';
import { type Authorizer, openClient } from './outgoing-client.js';
import { ownedOnly } from './ownership-guard.js';
import { batchBody, eventBody, type RequestBody } from './request-body.js';
import { requestDeadline } from './request-deadline.js';
import { withoutSentCredentials } from './sent-credentials.js';
import { compileTemplate, type Template } from './template.js';

const gzipAsync = promisify(gzip);

const METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'GET']);
// Socket errors on a reused keep-alive connection that the server closed: the request never got an answer
// and carries an idempotency key, so sending it once more at once is safe and spares a retry round.
const STALE_SOCKET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

const config = z
  .object({
    url: z
      .string()
      .min(1)
      .describe(
        'Target URL. May hold `{{ path }}` placeholders read from the event (`{{ value.tenant }}`, `{{ key }}`), inserted percent-encoded; `{{{ path }}}` inserts as is.',
      ),
    method: z.string().default('POST').describe('HTTP method (POST, PUT, PATCH, DELETE, GET), or a template.'),
    headers: secret(
      z
        .record(z.string(), z.string())
        .default({})
        .describe('Extra request headers; values may be templates. Redacted from logs, as they often hold keys.'),
    ),
    allowedHosts: z
      .array(z.string())
      .default([])
      .describe(
        'Hosts a templated URL may reach: `api.example.com`, `*.example.com`, `host:port`. The host of a URL whose host part is fixed is always allowed.',
      ),
    mode: z
      .enum(['event', 'batch'])
      .default('batch')
      .describe('`event`: one request per event. `batch`: one request per batch (per URL, method and headers).'),
    format: z
      .enum(['json', 'ndjson'])
      .default('json')
      .describe('Body of a batch request: a JSON array, or one JSON document per line.'),
    body: z
      .enum(['value', 'event'])
      .default('value')
      .describe(
        '`value`: send the event value. `event`: send the whole event `{key, value, ts, headers, id}` as JSON.',
      ),
    maxEventsPerRequest: z
      .number()
      .int()
      .positive()
      .default(500)
      .describe('In batch mode, a larger batch is split into requests of at most this many events.'),
    gzip: z.boolean().default(false).describe('Compress request bodies with gzip (`Content-Encoding: gzip`).'),
    idempotencyHeader: z
      .string()
      .default('Idempotency-Key')
      .describe('Header carrying a key derived from the event ids (`<pipeline>/<id>`); empty to send none.'),
    maxConnections: z.number().int().positive().default(8).describe('Keep-alive connections per origin.'),
    parallelRequests: z
      .number()
      .int()
      .positive()
      .default(4)
      .describe(
        'Requests sent at once for one batch (`concurrency` is batches in flight). 1 keeps the order of events in a batch.',
      ),
    auth: clientAuthSchema,
    tls: clientTlsSchema,
    timeouts: timeoutsSchema,
  })
  .describe('Deliver events to an HTTP endpoint.');

type HttpSinkConfig = z.output<typeof config>;

interface PlannedRequest {
  indexes: number[];
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: RequestBody;
  idempotencyKey?: string;
}

type Outcome = { ok: true } | { ok: false; error: SluiceError; indexes: number[] };

function compileOrConfigError(text: string, field: string, encode: boolean): Template {
  try {
    return compileTemplate(text, field, { encode });
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** Hosts a templated URL implies: the host of the fixed text before the first placeholder, when complete. */
function impliedHost(urlTemplate: Template): string | undefined {
  const m = /^https?:\/\/([^/?#]+)[/?#]/.exec(urlTemplate.prefix);
  return m ? m[1] : undefined;
}

function buildAllowlist(cfg: HttpSinkConfig, url: Template, what: string): HostAllowlist {
  const entries = [...cfg.allowedHosts];
  if (url.isStatic) entries.push(new URL(cfg.url).host);
  else {
    const implied = impliedHost(url);
    if (implied) entries.push(implied);
    else if (entries.length === 0) {
      throw new ConfigError(
        `${what}: url "${cfg.url}" is templated in its host part; list the hosts it may reach in allowedHosts`,
      );
    }
  }
  try {
    return createHostAllowlist(entries);
  } catch (err) {
    throw new ConfigError(`${what}: ${(err as Error).message}`);
  }
}

/** Runs `fn` over `items` with at most `limit` at once; stops taking new items once `stop()` is true. */
async function runBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  stop: () => boolean,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) {
      const item = items[next++];
      results.push(await fn(item));
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

class HttpSink {
  private readonly agent: Dispatcher & { close(): Promise<void>; destroy(): Promise<void> };
  private readonly auth: Authorizer;
  private readonly url: Template;
  private readonly method: Template;
  private readonly headers: Array<[string, Template]>;
  private readonly allowlist: HostAllowlist;
  private readonly what: string;

  constructor(
    private readonly cfg: HttpSinkConfig,
    private readonly ctx: PluginContext,
  ) {
    this.what = `http sink "${ctx.pipeline}"`;
    this.url = compileOrConfigError(cfg.url, 'url', true);
    if (this.url.isStatic) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(cfg.url);
      } catch {}
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        throw new ConfigError(`${this.what}: url "${describeUrl(cfg.url)}" is not an http(s) URL`);
      }
    }
    this.method = compileOrConfigError(cfg.method, 'method', false);
    if (this.method.isStatic && !METHODS.has(cfg.method.toUpperCase())) {
      throw new ConfigError(`${this.what}: method ${cfg.method} is not one of ${[...METHODS].join(', ')}`);
    }
    this.headers = Object.entries(cfg.headers).map(([name, value]) => [
      name.toLowerCase(),
      compileOrConfigError(value, `headers.${name}`, false),
    ]);
    this.allowlist = buildAllowlist(cfg, this.url, this.what);
    ({ agent: this.agent, auth: this.auth } = openClient(cfg, ctx.baseDir));
  }

  /** Renders the URL, method and headers of one event; a bad event is a record error. */
  private target(event: SluiceEvent): Pick<PlannedRequest, 'method' | 'url' | 'headers'> {
    const method = this.method.render(event).toUpperCase();
    if (!METHODS.has(method)) {
      throw new RecordError(`method template gave "${method}", not one of ${[...METHODS].join(', ')}`, {
        code: 'E_HTTP_TEMPLATE',
      });
    }
    let url: URL;
    try {
      url = new URL(this.url.render(event));
    } catch (err) {
      if ((err as SluiceError).kind === 'record') throw err;
      throw new RecordError('url template gave an invalid URL', { code: 'E_HTTP_TEMPLATE' });
    }
    if (!this.allowlist.allows(url)) {
      throw new RecordError(
        `url ${describeUrl(url)} is not allowed: its host is not in allowedHosts (${this.allowlist.entries.join(', ')})`,
        { code: 'E_HTTP_HOST_NOT_ALLOWED' },
      );
    }
    const headers: Record<string, string> = {};
    for (const [name, template] of this.headers) {
      const value = template.render(event);
      if (/[\r\n\0]/.test(value)) {
        throw new RecordError(`headers.${name}: the template gave a value with a line break`, {
          code: 'E_HTTP_TEMPLATE',
        });
      }
      headers[name] = value;
    }
    return { method, url, headers };
  }

  private plan(
    batch: readonly SluiceEvent[],
    context: WriteContext | undefined,
  ): { requests: PlannedRequest[]; rejected: RecordRejection[] } {
    const rejected: RecordRejection[] = [];
    const targets: Array<{ index: number; target: Pick<PlannedRequest, 'method' | 'url' | 'headers'> }> = [];
    batch.forEach((event, index) => {
      try {
        targets.push({ index, target: this.target(event) });
      } catch (err) {
        if ((err as SluiceError).kind !== 'record') throw err;
        rejected.push({ index, error: err as SluiceError });
      }
    });
    const { cfg } = this;
    const deliveryId = context?.deliveryId;
    const nameOf = (index: number) => (deliveryId === undefined ? undefined : `${deliveryId}#${index}`);
    const withIdempotency = (indexes: number[]) =>
      cfg.idempotencyHeader
        ? batchIdempotencyKey(
            this.ctx.pipeline,
            indexes.map((n) => batch[n]),
            indexes.map(nameOf),
          )
        : undefined;
    const hasBody = (method: string) => method !== 'GET' && method !== 'DELETE';
    if (cfg.mode === 'event') {
      const requests = targets.map(({ index, target }) => ({
        ...target,
        indexes: [index],
        ...(hasBody(target.method) ? { body: eventBody(batch[index], cfg.body) } : {}),
        idempotencyKey: cfg.idempotencyHeader
          ? eventIdempotencyKey(this.ctx.pipeline, batch[index], nameOf(index))
          : undefined,
      }));
      return { requests, rejected };
    }
    // Batch mode: events going to the same URL with the same method and headers share requests.
    const groups = new Map<string, { target: (typeof targets)[number]['target']; indexes: number[] }>();
    for (const { index, target } of targets) {
      const id = JSON.stringify([target.method, target.url.href, target.headers]);
      const group = groups.get(id) ?? { target, indexes: [] };
      group.indexes.push(index);
      groups.set(id, group);
    }
    const requests: PlannedRequest[] = [];
    for (const { target, indexes } of groups.values()) {
      for (let i = 0; i < indexes.length; i += cfg.maxEventsPerRequest) {
        const chunk = indexes.slice(i, i + cfg.maxEventsPerRequest);
        const events = chunk.map((n) => batch[n]);
        requests.push({
          ...target,
          indexes: chunk,
          ...(hasBody(target.method) ? { body: batchBody(events, cfg.body, cfg.format) } : {}),
          idempotencyKey: withIdempotency(chunk),
        });
      }
    }
    return { requests, rejected };
  }

  private async send(req: PlannedRequest, dispatcher: Dispatcher, context?: WriteContext): Promise<Outcome> {
    const what = `${this.what}: ${req.method} ${describeUrl(req.url)}`;
    const notSent = (): Outcome => ({
      ok: false,
      error: new RetryableError(`${what}: not sent, the batch may belong to another worker now`, {
        code: 'E_HTTP_NOT_OWNED',
      }),
      indexes: req.indexes,
    });
    const headers: Record<string, string> = { ...req.headers };
    let body: Uint8Array | undefined;
    if (req.body) {
      headers['content-type'] ??= req.body.contentType;
      body = req.body.bytes;
      if (this.cfg.gzip) {
        body = await gzipAsync(body, { level: 1 });
        headers['content-encoding'] = 'gzip';
      }
    }
    if (req.idempotencyKey) headers[this.cfg.idempotencyHeader.toLowerCase()] = req.idempotencyKey;
    const authorization = await this.auth.header();
    if (authorization) headers.authorization = authorization;

    const deadline = requestDeadline(this.ctx.signal, this.cfg.timeouts.totalMs);
    try {
      let res: Dispatcher.ResponseData | undefined;
      for (let attempt = 0; res === undefined; attempt++) {
        if (context && !context.isOwned()) return notSent();
        try {
          res = await request(req.url, {
            method: req.method as Dispatcher.HttpMethod,
            headers,
            body,
            dispatcher,
            signal: deadline.signal,
          });
        } catch (err) {
          if (context && !context.isOwned()) return notSent();
          const code = (err as { code?: string }).code ?? '';
          if (attempt === 0 && STALE_SOCKET_CODES.has(code) && !this.ctx.signal.aborted) continue;
          return { ok: false, error: classifyNetworkError(err, what), indexes: req.indexes };
        }
      }
      if (res.statusCode >= 200 && res.statusCode < 300) {
        // Read the answer to the end so that the connection goes back to the pool.
        await res.body.dump({ limit: 1024 * 1024 }).catch(() => {});
        return { ok: true };
      }
      let excerpt: string;
      try {
        excerpt = withoutSentCredentials(await readExcerpt(res.body), [...Object.values(req.headers), authorization]);
      } catch {
        excerpt = '';
      }
      if (res.statusCode === 401 && this.auth.refused(authorization)) {
        return {
          ok: false,
          error: new RetryableError(`${what} answered 401; fetching a new token`, {
            code: 'E_HTTP_AUTH',
            retryAfterMs: 0,
          }),
          indexes: req.indexes,
        };
      }
      const error = classifyStatus({ status: res.statusCode, headers: res.headers, excerpt }, what, {
        authHint: this.auth.hint,
        redirectIsRecord: !this.url.isStatic,
      });
      return { ok: false, error, indexes: req.indexes };
    } finally {
      deadline.dispose();
    }
  }

  async write(batch: readonly SluiceEvent[], context?: WriteContext) {
    if (batch.length === 0) return {};
    const { requests, rejected } = this.plan(batch, context);
    const dispatcher = context ? ownedOnly(this.agent, context.isOwned) : this.agent;
    let stopped = false;
    const outcomes = await runBounded(
      requests,
      this.cfg.parallelRequests,
      async (req) => {
        const outcome = await this.send(req, dispatcher, context);
        // A retryable or fatal answer ends the write: the whole batch comes back, so sending more is waste.
        if (!outcome.ok && outcome.error.kind !== 'record') stopped = true;
        return outcome;
      },
      () => stopped,
    );
    const failures = outcomes.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok);
    const fatal = failures.find((f) => f.error.kind === 'fatal');
    if (fatal) throw fatal.error;
    const retryable = failures.filter((f) => f.error.kind === 'retryable');
    if (retryable.length > 0) {
      const waits = retryable.map((f) => f.error.retryAfterMs).filter((ms): ms is number => ms !== undefined);
      const first = retryable[0].error;
      if (waits.length === 0) throw first;
      throw new RetryableError(first.message, {
        code: first.code,
        cause: first,
        retryAfterMs: Math.max(...waits),
        ...(first.details ? { details: first.details } : {}),
      });
    }
    for (const f of failures) for (const index of f.indexes) rejected.push({ index, error: f.error });
    return rejected.length > 0 ? { rejected: rejected.sort((a, b) => a.index - b.index) } : {};
  }

  async close() {
    // Requests still in flight get a moment to finish; a stuck one is then cut.
    const timer = setTimeout(() => void this.agent.destroy().catch(() => {}), 5_000);
    try {
      await this.agent.close();
    } finally {
      clearTimeout(timer);
    }
  }
}

export default defineSink({
  name: 'http',
  summary: 'Deliver events to an HTTP endpoint, per event or batched, with retries, idempotency keys and auth.',
  config,
  checkConnection: checkEndpoint,
  create: (cfg, ctx) => new HttpSink(cfg, ctx),
});
