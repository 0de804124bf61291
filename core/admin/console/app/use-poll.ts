// Polling the admin port from a view: the latest answer, or the error that stopped it. A refused token stops the
// polling (the shell asks for the token and remounts the view).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from './api';

export interface Polled<T> {
  data?: T;
  error?: ApiError;
}

export function usePoll<T>(path: string, everyMs = 2000): Polled<T> {
  const [state, setState] = useState<Polled<T>>({});
  useEffect(() => {
    let timer: number | undefined;
    let isStopped = false;
    const tick = async () => {
      try {
        const data = await api.get<T>(path);
        if (isStopped) return;
        setState({ data });
      } catch (err) {
        if (isStopped) return;
        const error = err instanceof ApiError ? err : new ApiError(String(err), 0);
        setState((s) => ({ ...s, error }));
        if (error.status === 401) return;
      }
      timer = window.setTimeout(tick, everyMs);
    };
    void tick();
    return () => {
      isStopped = true;
      window.clearTimeout(timer);
    };
  }, [path, everyMs]);
  return state;
}
