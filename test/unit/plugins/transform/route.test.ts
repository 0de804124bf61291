import { describe, expect, it } from 'vitest';
import { ROUTE_HEADER } from '../../../../core/plugin.js';
import route from '../../../../plugins/transform/route.js';
import { event, runProcessor } from '../run-processor.js';

const routes = [
  { name: 'hot', when: 'value.temp > 30' },
  { name: 'warm', when: 'value.temp > 20' },
];

describe('route', () => {
  it('names the first route whose condition is true in the sluice-route header', async () => {
    const { events } = await runProcessor(route, { routes }, [
      event({ temp: 35 }, { headers: { a: 'b' } }),
      event({ temp: 25 }),
    ]);
    expect(ROUTE_HEADER).toBe('sluice-route');
    expect(events.map((e) => e.headers)).toEqual([{ a: 'b', 'sluice-route': 'hot' }, { 'sluice-route': 'warm' }]);
  });

  it('drops events that meet no condition when there is no default', async () => {
    const { events, rejected } = await runProcessor(route, { routes }, [event({ temp: 10 }), event({ temp: 40 })]);
    expect(rejected).toEqual([]);
    expect(events.map((e) => e.value)).toEqual([{ temp: 40 }]);
  });

  it('gives events that meet no condition the default route', async () => {
    const { events } = await runProcessor(route, { routes, default: 'cold' }, [event({ temp: 10 })]);
    expect(events[0].headers).toEqual({ 'sluice-route': 'cold' });
  });

  it('replaces a route named by an earlier step', async () => {
    const { events } = await runProcessor(route, { routes }, [
      event({ temp: 40 }, { headers: { 'sluice-route': 'old' } }),
    ]);
    expect(events[0].headers['sluice-route']).toBe('hot');
  });

  it('rejects an event a condition fails on', async () => {
    const { rejected } = await runProcessor(route, { routes: [{ name: 'x', when: 'value.a + 1 > 2' }] }, [
      event({ a: 'no' }),
    ]);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_EXPRESSION' });
    expect(rejected[0].error.message).toContain('route routes[0].when');
  });

  it('refuses duplicate route names and an invalid condition, naming the route', async () => {
    expect(route.config.safeParse({ routes: [routes[0], routes[0]] }).success).toBe(false);
    expect(route.config.safeParse({ routes: [] }).success).toBe(false);
    const issue = route.config.safeParse({ routes: [routes[0], { name: 'bad', when: 'value.temp >' }] }).error
      ?.issues[0];
    expect(issue?.path).toEqual(['routes', 1, 'when']);
    expect(issue?.message).toMatch(/^"value\.temp >" is not a valid JSONata expression/);
  });
});
