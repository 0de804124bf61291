// The outgoing client of the sink and the poll source: the keep-alive Agent built from the connection fields,
// and the Authorization header of each request from the `auth` config.
import type { Agent, Dispatcher } from 'undici';
import { type ClientAuth, type ClientTls, createAgent, type Timeouts } from './connection.js';
import { OAuth2TokenSource } from './oauth2.js';

export interface Authorizer {
  /** The Authorization header value, or undefined when no credentials are configured. */
  header(): Promise<string | undefined>;
  /**
   * Called when the server answered 401 to a request sent with `header`: true when a fresh credential may
   * help (an OAuth2 token can be revoked early), so the request is worth retrying.
   */
  refused(header: string | undefined): boolean;
  /** What to tell the user to fix when credentials are refused. */
  readonly hint: string;
}

export function createAuthorizer(auth: ClientAuth, dispatcher: Dispatcher, timeouts: Timeouts): Authorizer {
  switch (auth.type) {
    case 'none':
      return {
        header: async () => undefined,
        refused: () => false,
        hint: 'the endpoint wants credentials: configure auth',
      };
    case 'basic': {
      const value = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
      return { header: async () => value, refused: () => false, hint: 'check auth.username and auth.password' };
    }
    case 'bearer': {
      const value = `Bearer ${auth.token}`;
      return { header: async () => value, refused: () => false, hint: 'check auth.token' };
    }
    case 'oauth2': {
      const source = new OAuth2TokenSource(auth, dispatcher, timeouts);
      let lastRefused: string | undefined;
      return {
        header: async () => `Bearer ${await source.token()}`,
        refused(header) {
          const token = header?.replace(/^Bearer /, '');
          // The same token refused twice in a row is not a revoked token: the client lacks the rights.
          const isWorthRetrying = token !== undefined && token !== lastRefused;
          lastRefused = token;
          source.invalidate(token);
          return isWorthRetrying;
        },
        hint: 'check auth.clientId, auth.clientSecret and auth.scope (the token endpoint issued a token the API refuses)',
      };
    }
  }
}

export interface ClientConfig {
  tls: ClientTls;
  timeouts: Timeouts;
  auth: ClientAuth;
  maxConnections: number;
}

/** The Agent and the credentials of an outgoing client, from its config fields. */
export function openClient(cfg: ClientConfig, baseDir: string): { agent: Agent; auth: Authorizer } {
  const agent = createAgent({ tls: cfg.tls, timeouts: cfg.timeouts, maxConnections: cfg.maxConnections, baseDir });
  return { agent, auth: createAuthorizer(cfg.auth, agent, cfg.timeouts) };
}
