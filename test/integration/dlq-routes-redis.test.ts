// The dead-letter routes of the admin API on the machine's Redis, called the way the admin server calls them.
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AdminRequest } from '../../core/admin/admin-route.js';
import { dlqRoutes } from '../../core/admin/dlq-routes.js';
import { openRedisStorage } from '../../core/cli/redis-drivers.js';
import { RecordError } from '../../core/errors.js';
import { deadLetter } from '../../core/runtime/dead-letter.js';
import { markDeadLetterTopic } from '../../core/runtime/topic-roles.js';
import type { Storage } from '../../core/storage/storage.js';
import { connectTestRedis, deleteKeysWithPrefix, TEST_REDIS_URL, uniquePrefix } from '../harness/redis-prefix.js';

let redis: Redis;
let storage: Storage;
const prefix = uniquePrefix('dlq-api');

beforeAll(async () => {
  redis = await connectTestRedis();
  storage = await openRedisStorage({ url: TEST_REDIS_URL, prefix, cluster: false });
  await storage.ensureTopic({ name: 'orders', partitions: 1 });
  await storage.ensureTopic({ name: 'failed-orders', partitions: 1 });
  await markDeadLetterTopic(storage, 'failed-orders');
  const letters = [1, 2, 3].map((n) =>
    deadLetter(
      { id: `0-${n}-0`, key: `o${n}`, value: { n }, ts: n, headers: {} },
      new RecordError(`order ${n} has no customer`, { code: n === 3 ? 'E_OTHER' : 'E_NO_CUSTOMER' }),
      {
        pipeline: 'orders',
        component: 'sinks[0] (sql)',
        topic: 'orders',
        attempts: 1,
        subscription: 'orders.db',
        step: 0,
      },
    ),
  );
  await storage.append('failed-orders', letters);
});

afterAll(async () => {
  await storage.close();
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
});

function request(method: AdminRequest['method'], query = '', body?: unknown, params = {}): AdminRequest {
  return { method, params, query: new URLSearchParams(query), body, raw: undefined as never };
}

describe('dead-letter routes', () => {
  it('list, show, refuse an unreasoned discard, discard with a reason, redrive the rest once', async () => {
    const [list, show, redrive, discard] = dlqRoutes({ storage });
    const listed = await list.handle(request('GET', 'code=E_NO_CUSTOMER'));
    expect(listed?.status).toBe(200);
    const rows = listed?.body as Array<{ id: string; origin: { subscription: string }; error: { reason: string } }>;
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({
      origin: { subscription: 'orders.db' },
      error: { reason: 'order 1 has no customer' },
    });

    const one = await show.handle(request('GET', '', undefined, { topic: 'failed-orders', id: rows[0].id }));
    expect(one).toMatchObject({ status: 200, body: { id: rows[0].id, value: { n: 1 } } });
    const none = await show.handle(request('GET', '', undefined, { topic: 'failed-orders', id: '0-1-99' }));
    expect(none?.status).toBe(404);

    expect((await discard.handle(request('POST', '', { ids: [rows[0].id] })))?.status).toBe(400);
    expect((await redrive.handle(request('POST', '', {})))?.status).toBe(400);
    const discarded = await discard.handle(request('POST', '', { ids: [rows[0].id], reason: 'customer deleted' }));
    expect(discarded?.body).toEqual({ discarded: [{ topic: 'failed-orders', id: rows[0].id }] });

    const edit = '$merge([value, {"customer": "unknown"}])';
    const first = await redrive.handle(request('POST', '', { pipeline: 'orders', edit }));
    expect(first?.body).toMatchObject({ redriven: [{ to: { topic: 'orders' } }, { to: { topic: 'orders' } }] });
    const second = await redrive.handle(request('POST', '', { allMatching: true, edit }));
    expect(second?.body).toEqual({ redriven: [], skipped: [] });
    const stored = await storage.read('orders', { partition: 0 });
    expect(stored.map((e) => e.value)).toEqual([
      { n: 2, customer: 'unknown' },
      { n: 3, customer: 'unknown' },
    ]);
    expect(stored[0].headers).toMatchObject({ 'sluice-redrive-for': 'orders.db', 'sluice-redrive-step': '0' });

    const all = await list.handle(request('GET', 'state=all'));
    expect(all?.body).toMatchObject([
      { state: 'discarded', mark: { reason: 'customer deleted' } },
      { state: 'redriven', mark: { to: { topic: 'orders' } } },
      { state: 'redriven', mark: { to: { topic: 'orders' } } },
    ]);
  });
});
