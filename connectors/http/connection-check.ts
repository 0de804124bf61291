// `sluice validate --connect` for the http sink and the http-poll source: the server of `url` answers (any
// status: an OPTIONS request proves name, route, port and TLS without side effects) and, with OAuth2, the token
// endpoint issues a token. A URL whose host is a template is known only per event: its server is not checked.
import { request } from 'undici';
import type { ConfigProblem, ConnectContext } from '../../core/plugin.js';
import { classifyNetworkError } from './classify-error.js';
import { describeUrl } from './connection.js';
import { type ClientConfig, openClient } from './outgoing-client.js';

/** The origin of `url`, or undefined when a placeholder decides it. */
function fixedOrigin(url: string): string | undefined {
  const authorityEnd = url.indexOf('/', url.indexOf('://') + 3);
  const authority = authorityEnd === -1 ? url : url.slice(0, authorityEnd);
  if (authority.includes('{{')) return undefined;
  try {
    return new URL(authority).origin;
  } catch {
    return undefined;
  }
}

export async function checkEndpoint(
  cfg: ClientConfig & { url: string },
  ctx: ConnectContext,
): Promise<ConfigProblem[]> {
  const { agent, auth } = openClient(cfg, ctx.baseDir);
  const problems: ConfigProblem[] = [];
  try {
    if (cfg.auth.type === 'oauth2') {
      await auth.header().catch((err: unknown) => {
        problems.push({ path: ['auth'], message: (err as Error).message });
      });
    }
    const origin = fixedOrigin(cfg.url);
    if (origin !== undefined) {
      try {
        const res = await request(`${origin}/`, { method: 'OPTIONS', dispatcher: agent, signal: ctx.signal });
        await res.body.dump();
      } catch (err) {
        const error = classifyNetworkError(err, `cannot reach ${describeUrl(origin)}`);
        problems.push({ path: [error.code === 'E_HTTP_TLS' ? 'tls' : 'url'], message: error.message });
      }
    }
    return problems;
  } finally {
    await agent.close().catch(() => {});
  }
}
