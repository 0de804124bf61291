// A sink plugin to start from: posts each batch as a JSON array. Name it in a pipeline file:
//   plugins: [./webhook-sink.ts]
//   sinks: [ { type: my-webhook, url: 'https://example.invalid/hook', token: '${file:./token}' } ]
// Classify failures by kind: the runtime owns retries, dead letters and stopping.
import { defineSink, FatalError, RecordError, RetryableError, secret, z } from 'sluice';

export default defineSink({
  name: 'my-webhook',
  summary: 'POST each batch of events as a JSON array to a URL.',
  config: z.object({
    url: z.url().describe('Where to POST.'),
    token: secret(z.string()).optional().describe('Bearer token; kept out of logs and errors.'),
    timeoutMs: z.number().int().positive().default(10_000).describe('Give up on one request after this long.'),
  }),
  create: (config) => ({
    async write(batch) {
      let res: Response;
      try {
        res = await fetch(config.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            // The ids make a redelivered batch recognisable to the receiver.
            'idempotency-key': `${batch[0]?.id}..${batch[batch.length - 1]?.id}`,
            ...(config.token ? { authorization: `Bearer ${config.token}` } : {}),
          },
          body: JSON.stringify(batch.map((e) => ({ key: e.key, value: e.value, ts: e.ts, id: e.id }))),
          signal: AbortSignal.timeout(config.timeoutMs),
        });
      } catch (err) {
        throw new RetryableError(`POST ${config.url} failed: ${(err as Error).message}`, { cause: err });
      }
      if (res.ok) return;
      if (res.status === 401 || res.status === 403)
        throw new FatalError(`POST ${config.url} answered ${res.status}: check the token`);
      if (res.status === 429 || res.status >= 500) {
        const after = Number(res.headers.get('retry-after'));
        throw new RetryableError(`POST ${config.url} answered ${res.status}`, {
          retryAfterMs: Number.isFinite(after) ? after * 1000 : undefined,
        });
      }
      throw new RecordError(`POST ${config.url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    },
  }),
});
