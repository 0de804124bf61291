// OAuth 2.0 client credentials: one token shared by all requests of a component, fetched once (concurrent
// callers wait for the same fetch), reused until shortly before it expires, and dropped when the API says 401.
import { type Dispatcher, request } from 'undici';
import { FatalError, RetryableError } from '../../core/errors.js';
import { classifyNetworkError, parseRetryAfter, readExcerpt } from './classify-error.js';
import { describeUrl, type Timeouts } from './connection.js';
import { withoutSentCredentials } from './sent-credentials.js';

export interface OAuth2Options {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  audience?: string;
  clientAuth: 'basic' | 'body';
}

// Refresh this long before the announced expiry, so a token never expires in flight.
const EXPIRY_MARGIN_MS = 30_000;
// When the endpoint gives no expires_in, assume a short life rather than forever.
const DEFAULT_LIFETIME_MS = 5 * 60_000;

export class OAuth2TokenSource {
  private cached?: { token: string; expiresAt: number };
  private inFlight?: Promise<string>;

  constructor(
    private readonly options: OAuth2Options,
    private readonly dispatcher: Dispatcher,
    private readonly timeouts: Timeouts,
    private readonly now: () => number = Date.now,
  ) {}

  /** A valid access token, fetching a new one when there is none or it is about to expire. */
  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt > this.now()) return this.cached.token;
    this.inFlight ??= this.fetchToken().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** Forgets the token (the API refused it): the next call fetches a new one. */
  invalidate(token?: string): void {
    if (token === undefined || this.cached?.token === token) this.cached = undefined;
  }

  private async fetchToken(): Promise<string> {
    const { tokenUrl, clientId, clientSecret, scope, audience, clientAuth } = this.options;
    const what = `OAuth2 token endpoint ${describeUrl(tokenUrl)}`;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (scope) form.set('scope', scope);
    if (audience) form.set('audience', audience);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (clientAuth === 'basic') {
      // RFC 6749 2.3.1: id and secret are form-encoded before they are joined.
      const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    let res: Dispatcher.ResponseData;
    try {
      res = await request(tokenUrl, {
        method: 'POST',
        headers,
        body: form.toString(),
        dispatcher: this.dispatcher,
        signal: AbortSignal.timeout(this.timeouts.totalMs),
      });
    } catch (err) {
      throw classifyNetworkError(err, what);
    }
    if (res.statusCode !== 200) {
      const excerpt = withoutSentCredentials(await readExcerpt(res.body), [
        headers.authorization,
        clientSecret,
        new URLSearchParams({ s: clientSecret }).toString().slice(2),
      ]);
      if (res.statusCode === 429 || res.statusCode >= 500) {
        const retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        throw new RetryableError(`${what} answered ${res.statusCode}`, {
          code: 'E_OAUTH2_UNAVAILABLE',
          details: { status: res.statusCode },
          ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        });
      }
      // The body of a refusal names the OAuth error (invalid_client, invalid_scope); one that echoes the request
      // has had the credentials masked above.
      throw new FatalError(
        `${what} refused the client credentials with ${res.statusCode} (${excerpt}); check auth.clientId, auth.clientSecret and auth.scope`,
        { code: 'E_OAUTH2_REFUSED', details: { status: res.statusCode, body: excerpt } },
      );
    }
    let body: { access_token?: unknown; expires_in?: unknown; token_type?: unknown };
    try {
      body = (await res.body.json()) as typeof body;
    } catch (err) {
      throw new RetryableError(`${what} answered 200 with a body that is not JSON`, {
        code: 'E_OAUTH2_RESPONSE',
        cause: err,
      });
    }
    if (typeof body.access_token !== 'string' || body.access_token === '') {
      throw new FatalError(`${what} answered without an access_token; check auth.tokenUrl`, {
        code: 'E_OAUTH2_RESPONSE',
      });
    }
    const announcedMs = Number(body.expires_in) * 1000;
    const lifetimeMs = Number.isFinite(announcedMs) && announcedMs > 0 ? announcedMs : DEFAULT_LIFETIME_MS;
    const margin = Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10);
    this.cached = { token: body.access_token, expiresAt: this.now() + lifetimeMs - margin };
    return body.access_token;
  }
}
