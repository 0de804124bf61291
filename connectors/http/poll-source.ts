// The http-poll source: requests a URL on an interval and turns the response into events with a JSONata
// expression. The checkpoint holds where to go on (next page URL or cursor) and the validators of the last
// response (ETag, Last-Modified); the runtime stores it with the events, so a restart resumes where the last
// stored poll left off.
import jsonata from 'jsonata';
import { type Dispatcher, request } from 'undici';
import { ConfigError, FatalError, RetryableError, type SluiceError } from '../../core/errors.js';
import { normalizeEvent, parseTimestamp, type SluiceEvent } from '../../core/event.js';
import { defineSource, MAX_TIMER_MS, type PluginContext, type PollResult, secret, z } from '../../core/plugin.js';
import { classifyNetworkError, classifyStatus, readExcerpt } from './classify-error.js';
import { clientAuthSchema, clientTlsSchema, describeUrl, timeoutsSchema } from './connection.js';
import { checkEndpoint } from './connection-check.js';
import { nextLink } from './link-header.js';
import { type Authorizer, openClient } from './outgoing-client.js';
import { requestDeadline } from './request-deadline.js';
import { withoutSentCredentials } from './sent-credentials.js';

const MiB = 1024 * 1024;

const config = z
  .object({
    url: z.url({ protocol: /^https?$/ }).describe('URL to poll (the first page, when the API pages).'),
    method: z.enum(['GET', 'POST']).default('GET').describe('HTTP method.'),
    headers: secret(
      z
        .record(z.string(), z.string())
        .default({})
        .describe('Extra request headers. Redacted from logs, as they often hold keys.'),
    ),
    body: z.string().optional().describe('Request body for POST (sent as JSON unless headers set a content-type).'),
    intervalMs: z
      .number()
      .int()
      .max(MAX_TIMER_MS)
      .positive()
      .default(60_000)
      .describe('Time between polls, ms. A response with another page ready is followed at once.'),
    events: z
      .string()
      .default('$')
      .describe(
        'JSONata expression picking the events out of the response body, such as `data.items`. An array gives one event per element.',
      ),
    key: z.string().optional().describe('JSONata expression, on each picked element, giving the event key (`id`).'),
    ts: z
      .string()
      .optional()
      .describe('JSONata expression, on each picked element, giving the event time (`updated_at`); default now.'),
    conditional: z
      .boolean()
      .default(true)
      .describe(
        'Send If-None-Match / If-Modified-Since when asking again for the URL of the last response: 304 means nothing new.',
      ),
    pagination: z
      .discriminatedUnion('type', [
        z.object({ type: z.literal('none').describe('One response per poll.') }),
        z.object({
          type: z.literal('link-header').describe('Follow the `Link: <…>; rel="next"` response header.'),
        }),
        z.object({
          type: z.literal('next-url').describe('Follow a next-page URL found in the body.'),
          expression: z.string().describe('JSONata expression giving the next page URL (`links.next`).'),
        }),
        z.object({
          type: z.literal('cursor').describe('Send back a cursor found in the body as a query parameter.'),
          expression: z.string().describe('JSONata expression giving the cursor for the next request (`meta.cursor`).'),
          param: z.string().default('cursor').describe('Query parameter the cursor is sent in.'),
          hasMore: z
            .string()
            .optional()
            .describe(
              'JSONata expression telling whether another page is ready now (`has_more`). Default: a new cursor came with events.',
            ),
        }),
      ])
      .prefault({ type: 'none' })
      .describe(
        'How to go on to the next page. With link-header and next-url, the poll after the last page starts again at url; with cursor, the last cursor is kept (a feed).',
      ),
    maxResponseBytes: z
      .number()
      .int()
      .positive()
      .default(16 * MiB)
      .describe('Largest response body read; a larger one stops the pipeline (ask for smaller pages).'),
    maxConnections: z.number().int().positive().default(2).describe('Keep-alive connections per origin.'),
    auth: clientAuthSchema,
    tls: clientTlsSchema,
    timeouts: timeoutsSchema,
  })
  .describe('Poll an HTTP API for events.');

type PollConfig = z.output<typeof config>;

/** What the source stores between polls. */
export interface PollCheckpoint {
  /** Next page to fetch (link-header and next-url pagination). */
  next?: string;
  /** Cursor to send (cursor pagination). */
  cursor?: string;
  /** Validators of the last response, for a conditional request to the same URL. */
  validators?: { url: string; etag?: string; lastModified?: string };
}

function compile(expression: string, field: string): jsonata.Expression {
  try {
    return jsonata(expression);
  } catch (err) {
    const e = err as { message: string; position?: number };
    throw new ConfigError(
      `${field}: "${expression}" is not a valid JSONata expression (${e.message}${e.position !== undefined ? ` at ${e.position}` : ''})`,
    );
  }
}

function asCheckpoint(value: unknown): PollCheckpoint {
  return value !== null && typeof value === 'object' ? (value as PollCheckpoint) : {};
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

class HttpPollSource {
  readonly intervalMs: number;
  private readonly agent: Dispatcher & { close(): Promise<void> };
  private readonly auth: Authorizer;
  private readonly what: string;
  private readonly eventsExpr: jsonata.Expression;
  private readonly keyExpr?: jsonata.Expression;
  private readonly tsExpr?: jsonata.Expression;
  private readonly nextExpr?: jsonata.Expression;
  private readonly hasMoreExpr?: jsonata.Expression;

  constructor(
    private readonly cfg: PollConfig,
    private readonly ctx: PluginContext,
  ) {
    this.intervalMs = cfg.intervalMs;
    this.what = `http-poll source "${ctx.pipeline}"`;
    this.eventsExpr = compile(cfg.events, 'events');
    if (cfg.key) this.keyExpr = compile(cfg.key, 'key');
    if (cfg.ts) this.tsExpr = compile(cfg.ts, 'ts');
    const p = cfg.pagination;
    if (p.type === 'next-url' || p.type === 'cursor') this.nextExpr = compile(p.expression, 'pagination.expression');
    if (p.type === 'cursor' && p.hasMore) this.hasMoreExpr = compile(p.hasMore, 'pagination.hasMore');
    ({ agent: this.agent, auth: this.auth } = openClient(cfg, ctx.baseDir));
  }

  private requestUrl(cp: PollCheckpoint): string {
    const p = this.cfg.pagination;
    if ((p.type === 'link-header' || p.type === 'next-url') && cp.next) return cp.next;
    if (p.type === 'cursor' && cp.cursor !== undefined) {
      const url = new URL(this.cfg.url);
      url.searchParams.set(p.param, cp.cursor);
      return url.href;
    }
    return this.cfg.url;
  }

  async poll(checkpoint: unknown): Promise<PollResult> {
    const cp = asCheckpoint(checkpoint);
    const url = this.requestUrl(cp);
    const what = `${this.what}: ${this.cfg.method} ${describeUrl(url)}`;
    // The request and the reading of its answer share one deadline, freed as soon as both are done.
    const deadline = requestDeadline(this.ctx.signal, this.cfg.timeouts.totalMs);
    let res: Dispatcher.ResponseData;
    let body: unknown;
    try {
      res = await this.fetch(url, cp, what, deadline.signal);
      if (res.statusCode === 304) {
        await res.body.dump().catch(() => {});
        return { events: [], checkpoint: cp, hasMore: false };
      }
      body = await this.readJson(res, what);
    } finally {
      deadline.dispose();
    }
    const events = await this.pick(body, what);
    const validators = {
      url,
      ...(headerText(res.headers.etag) ? { etag: headerText(res.headers.etag) } : {}),
      ...(headerText(res.headers['last-modified']) ? { lastModified: headerText(res.headers['last-modified']) } : {}),
    };
    const hasValidators = validators.etag !== undefined || validators.lastModified !== undefined;
    const next: PollCheckpoint = hasValidators ? { validators } : {};
    const p = this.cfg.pagination;
    if (p.type === 'link-header' || p.type === 'next-url') {
      const link =
        p.type === 'link-header'
          ? nextLink(res.headers.link, url)
          : await this.evaluateText(this.nextExpr as jsonata.Expression, body, 'pagination.expression', what);
      const resolved = link ? new URL(link, url).href : undefined;
      // A next link back to the page just read would loop forever: treat it as the last page.
      if (resolved && resolved !== url) return { events, checkpoint: { ...next, next: resolved }, hasMore: true };
      return { events, checkpoint: next, hasMore: false };
    }
    if (p.type === 'cursor') {
      const found = await this.evaluateText(this.nextExpr as jsonata.Expression, body, 'pagination.expression', what);
      const cursor = found ?? cp.cursor;
      const hasMore = this.hasMoreExpr
        ? Boolean(await this.evaluate(this.hasMoreExpr, body, 'pagination.hasMore', what))
        : found !== undefined && found !== cp.cursor && events.length > 0;
      return { events, checkpoint: { ...next, ...(cursor !== undefined ? { cursor } : {}) }, hasMore };
    }
    return { events, checkpoint: next, hasMore: false };
  }

  private async fetch(
    url: string,
    cp: PollCheckpoint,
    what: string,
    signal: AbortSignal,
  ): Promise<Dispatcher.ResponseData> {
    const headers: Record<string, string> = { accept: 'application/json, application/x-ndjson;q=0.9' };
    for (const [name, value] of Object.entries(this.cfg.headers)) headers[name.toLowerCase()] = value;
    if (this.cfg.conditional && cp.validators?.url === url) {
      if (cp.validators.etag) headers['if-none-match'] = cp.validators.etag;
      if (cp.validators.lastModified) headers['if-modified-since'] = cp.validators.lastModified;
    }
    if (this.cfg.body !== undefined) headers['content-type'] ??= 'application/json';
    const authorization = await this.auth.header();
    if (authorization) headers.authorization = authorization;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(url, {
        method: this.cfg.method,
        headers,
        ...(this.cfg.body !== undefined && this.cfg.method === 'POST' ? { body: this.cfg.body } : {}),
        dispatcher: this.agent,
        signal,
      });
    } catch (err) {
      throw classifyNetworkError(err, what);
    }
    if ((res.statusCode >= 200 && res.statusCode < 300) || res.statusCode === 304) return res;
    const excerpt = withoutSentCredentials(await readExcerpt(res.body), [
      ...Object.values(this.cfg.headers),
      authorization,
    ]);
    if (res.statusCode === 401 && this.auth.refused(authorization)) {
      throw new RetryableError(`${what} answered 401; fetching a new token`, { code: 'E_HTTP_AUTH', retryAfterMs: 0 });
    }
    const error = classifyStatus({ status: res.statusCode, headers: res.headers, excerpt }, what, {
      authHint: this.auth.hint,
    });
    // A poll has no record to set aside: a request the API refuses (404, 400) needs its config fixed.
    if (error.kind === 'record') {
      throw new FatalError(`${error.message}; check url, method, headers and body`, {
        code: error.code,
        ...(error.details ? { details: error.details } : {}),
      });
    }
    throw error;
  }

  private async readJson(res: Dispatcher.ResponseData, what: string): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of res.body) {
        size += chunk.byteLength;
        if (size > this.cfg.maxResponseBytes) {
          res.body.destroy();
          throw new FatalError(
            `${what} answered more than maxResponseBytes (${this.cfg.maxResponseBytes} bytes); raise it or ask the API for smaller pages`,
            { code: 'E_HTTP_POLL_TOO_LARGE' },
          );
        }
        chunks.push(chunk as Buffer);
      }
    } catch (err) {
      if ((err as SluiceError).kind === 'fatal') throw err;
      throw classifyNetworkError(err, what);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const type = String(res.headers['content-type'] ?? '').toLowerCase();
    try {
      if (/ndjson|jsonl|jsonlines/.test(type)) {
        return text
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line));
      }
      return text.trim() === '' ? null : JSON.parse(text);
    } catch (err) {
      // An HTML error page behind a 200 is usually a proxy in trouble: worth another try, bounded by the policy.
      throw new RetryableError(
        `${what} answered ${res.statusCode} with a body that is not JSON (${type || 'no content-type'}): ${(err as Error).message}`,
        { code: 'E_HTTP_POLL_BODY' },
      );
    }
  }

  private async evaluate(expr: jsonata.Expression, input: unknown, field: string, what: string): Promise<unknown> {
    try {
      return await expr.evaluate(input);
    } catch (err) {
      throw new FatalError(`${what}: ${field} failed on the response: ${(err as Error).message}; fix the expression`, {
        code: 'E_HTTP_POLL_EXPRESSION',
      });
    }
  }

  private async evaluateText(expr: jsonata.Expression, input: unknown, field: string, what: string) {
    const value = await this.evaluate(expr, input, field, what);
    if (value === undefined || value === null || value === '') return undefined;
    return String(value);
  }

  private async pick(body: unknown, what: string): Promise<SluiceEvent[]> {
    const picked = await this.evaluate(this.eventsExpr, body, 'events', what);
    const items = picked === undefined ? [] : Array.isArray(picked) ? [...picked] : [picked];
    const now = Date.now();
    const events: SluiceEvent[] = [];
    let badTimes = 0;
    for (const item of items) {
      if (!this.keyExpr && !this.tsExpr) {
        try {
          events.push(normalizeEvent(item, now));
          continue;
        } catch {
          badTimes++;
        }
      }
      const key = this.keyExpr ? await this.evaluate(this.keyExpr, item, 'key', what) : undefined;
      let ts = now;
      if (this.tsExpr) {
        const raw = await this.evaluate(this.tsExpr, item, 'ts', what);
        const parsed = parseTimestamp(raw);
        if (parsed === undefined) badTimes++;
        else ts = parsed;
      }
      events.push({
        key: key === undefined || key === null ? null : typeof key === 'string' ? key : JSON.stringify(key),
        value: item === undefined ? null : item,
        ts,
        headers: {},
      });
    }
    if (badTimes > 0) {
      this.ctx.logger.warn(
        { count: badTimes },
        `${what}: ${badTimes} event(s) had a time that is not ISO-8601 or epoch s/ms; they carry the ingest time`,
      );
    }
    return events;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

export default defineSource({
  name: 'http-poll',
  summary: 'Poll an HTTP API on an interval: conditional requests, pagination, JSONata to pick the events.',
  config,
  checkConnection: checkEndpoint,
  create: (cfg, ctx) => new HttpPollSource(cfg, ctx),
});
