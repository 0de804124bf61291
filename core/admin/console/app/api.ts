// How every view talks to the admin port: JSON over fetch with the admin token when the user gave one. The token
// lives in sessionStorage (gone when the tab closes); a 401 tells the shell, which asks for it.
const TOKEN_KEY = 'sluice.adminToken';

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Calls `listener` whenever the admin port refuses a request for want of the token; returns the unsubscribe. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export function setToken(token: string): void {
  if (token === '') sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export function hasToken(): boolean {
  return sessionStorage.getItem(TOKEN_KEY) !== null;
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { ...extra, authorization: `Bearer ${token}` } : extra;
}

/** The server's error as an ApiError: `{ error: { message } }` (the server's shape) or `{ error: "..." }` (a route's). */
async function failure(res: Response): Promise<ApiError> {
  if (res.status === 401) for (const l of unauthorizedListeners) l();
  let message = `${res.status} ${res.statusText}`;
  try {
    const body = (await res.json()) as { error?: string | { message?: string } };
    const error = body.error;
    if (typeof error === 'string') message = error;
    else if (error?.message) message = error.message;
  } catch {
    // not JSON: the status line says enough
  }
  return new ApiError(message, res.status);
}

async function call<T>(path: string, init: RequestInit): Promise<T> {
  const res = await fetch(path, init);
  if (!res.ok) throw await failure(res);
  const type = res.headers.get('content-type') ?? '';
  return (type.includes('json') ? await res.json() : await res.text()) as T;
}

/** Splits a server-sent-events stream into the JSON `data:` of each event. */
async function readEvents(body: ReadableStream<Uint8Array>, onEvent: (data: unknown) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let end = buffered.indexOf('\n\n');
    while (end >= 0) {
      const data = buffered
        .slice(0, end)
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      buffered = buffered.slice(end + 2);
      if (data !== '') onEvent(JSON.parse(data));
      end = buffered.indexOf('\n\n');
    }
  }
}

export const api = {
  get<T>(path: string): Promise<T> {
    return call<T>(path, { headers: headers() });
  },
  post<T>(path: string, body: unknown): Promise<T> {
    const isText = typeof body === 'string';
    return call<T>(path, {
      method: 'POST',
      headers: headers({ 'content-type': isText ? 'text/plain' : 'application/json' }),
      body: isText ? body : JSON.stringify(body ?? {}),
    });
  },
  /**
   * Reads server-sent events with fetch (EventSource cannot send the token). `onError` hears a refused or broken
   * stream, `onEnd` one the server ended (the process stopping, or reloading its pipelines); the returned function
   * stops it.
   */
  stream(
    path: string,
    onEvent: (data: unknown) => void,
    onError?: (error: ApiError) => void,
    onEnd?: () => void,
  ): () => void {
    const stop = new AbortController();
    (async () => {
      const res = await fetch(path, { headers: headers({ accept: 'text/event-stream' }), signal: stop.signal });
      if (!res.ok || !res.body) throw await failure(res);
      await readEvents(res.body, onEvent);
      if (!stop.signal.aborted) onEnd?.();
    })().catch((err: unknown) => {
      if (stop.signal.aborted) return;
      onError?.(err instanceof ApiError ? err : new ApiError((err as Error).message, 0));
    });
    return () => stop.abort();
  },
};
