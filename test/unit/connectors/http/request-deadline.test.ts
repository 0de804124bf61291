import { describe, expect, it } from 'vitest';
import { requestDeadline } from '../../../../connectors/http/request-deadline.js';

describe('requestDeadline', () => {
  it('aborts with a TimeoutError once the total time is up', async () => {
    const deadline = requestDeadline(new AbortController().signal, 20);
    await new Promise((resolve) => deadline.signal.addEventListener('abort', resolve));
    expect((deadline.signal.reason as DOMException).name).toBe('TimeoutError');
    deadline.dispose();
  });

  it('aborts when the plugin stops, with its reason', () => {
    const stopping = new AbortController();
    const deadline = requestDeadline(stopping.signal, 60_000);
    stopping.abort(new Error('closing'));
    expect(deadline.signal.aborted).toBe(true);
    expect((deadline.signal.reason as Error).message).toBe('closing');
    deadline.dispose();
  });

  it('once disposed, neither the timer nor the plugin stopping touches it', async () => {
    const stopping = new AbortController();
    const deadline = requestDeadline(stopping.signal, 20);
    deadline.dispose();
    await new Promise((r) => setTimeout(r, 60));
    stopping.abort();
    expect(deadline.signal.aborted).toBe(false);
  });
});
