// `sluice tap <pipeline>`: prints a live sample of a pipeline's events at one stage as NDJSON, read from the admin
// port of a running `sluice run` or `sluice worker` (GET /api/tap/:pipeline). Stops at --limit or Ctrl-C.
import { ConfigError, SluiceError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export interface TapOptions {
  admin?: string;
  token?: string;
  stage?: string;
  sample?: number;
  limit?: number;
}

export async function tapCommand(pipeline: string, o: TapOptions, signal?: AbortSignal): Promise<number> {
  try {
    if (!o.admin) {
      throw new ConfigError(
        'tap reads the admin port of a running process: pass --admin http://127.0.0.1:PORT (or set SLUICE_ADMIN)',
        { code: 'E_NEEDS_ADMIN' },
      );
    }
    const url = new URL(`/api/tap/${encodeURIComponent(pipeline)}`, o.admin);
    if (o.stage) url.searchParams.set('stage', o.stage);
    if (o.sample !== undefined) url.searchParams.set('sample', String(o.sample));
    if (o.limit !== undefined) url.searchParams.set('limit', String(o.limit));
    const response = await fetch(url, {
      headers: { accept: 'text/event-stream', ...(o.token ? { authorization: `Bearer ${o.token}` } : {}) },
      signal,
    }).catch((err: unknown) => {
      throw new SluiceError('fatal', `cannot reach the admin port at ${o.admin}: ${(err as Error).message}`, {
        code: 'E_ADMIN_UNREACHABLE',
      });
    });
    if (!response.ok || !response.body) {
      const kind = response.status === 400 || response.status === 404 ? 'config' : 'fatal';
      throw new SluiceError(
        kind,
        `tap of "${pipeline}" refused (HTTP ${response.status}): ${await refusal(response)}`,
        {
          code: 'E_TAP_REFUSED',
        },
      );
    }
    await printEvents(response.body);
    return EXIT.ok;
  } catch (err) {
    if (signal?.aborted) return EXIT.ok;
    return reportError(err);
  }
}

/** What the admin port said, as a sentence: its error, and the stages there are when it names them. */
async function refusal(response: Response): Promise<string> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: string; stages?: string[] };
    return `${body.error ?? text}${body.stages ? `; stages: ${body.stages.join(', ')}` : ''}`;
  } catch {
    return text;
  }
}

/** Writes the `data:` lines of a server-sent event stream to stdout, one JSON event per line. */
async function printEvents(body: ReadableStream<Uint8Array>): Promise<void> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) if (line.startsWith('data: ')) process.stdout.write(`${line.slice(6)}\n`);
  }
}
