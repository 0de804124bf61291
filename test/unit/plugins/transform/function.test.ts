import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import fn from '../../../../plugins/transform/function.js';
import { createProcessor, event, processFrozen, runProcessor } from '../run-processor.js';
import { closed } from './function-modules/per-batch.js';

const baseDir = fileURLToPath(new URL('.', import.meta.url));
const run = (module: string, batch: Parameters<typeof runProcessor>[2]) =>
  runProcessor(fn, { module }, batch, { baseDir });

describe('function', () => {
  it('runs the default export of a TypeScript module, resolved against the pipeline folder, on each event', async () => {
    const { events, rejected } = await run('./function-modules/per-event.ts', [event(1, { key: 'k', id: '0-1-0' })]);
    expect(rejected).toEqual([]);
    expect(events).toEqual([event({ original: 1, seenBy: 'per-event' }, { key: 'k', id: '0-1-0' })]);
  });

  it('drops the events the function returns null for and fans out arrays, with an id per part', async () => {
    const { events } = await run('./function-modules/per-event.ts', [event('drop'), event('twice', { id: '3-9-0' })]);
    expect(events.map((e) => [e.value, e.id])).toEqual([
      ['one', '3-9-0:0'],
      ['two', '3-9-0:1'],
    ]);
  });

  it('takes fields the function leaves out from the input event', async () => {
    const { events } = await run('./function-modules/per-event.ts', [
      event('bare', { key: 'k', ts: 5, headers: { h: 'v' } }),
    ]);
    expect(events).toEqual([event('only a value', { key: 'k', ts: 5, headers: { h: 'v' } })]);
  });

  it('rejects the events the function throws for and goes on with the others', async () => {
    const { events, rejected } = await run('./function-modules/per-event.ts', [event('throw'), event(2)]);
    expect(events).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect(rejected[0].error).toMatchObject({ kind: 'record', code: 'E_FUNCTION_THREW' });
    expect(rejected[0].error.message).toContain('cannot handle this one');
  });

  it('keeps the kind of an error the function throws deliberately', async () => {
    await expect(run('./function-modules/per-event.ts', [event('retry')])).rejects.toMatchObject({ kind: 'retryable' });
  });

  it('rejects results that are not events, saying what came back', async () => {
    const { rejected } = await run('./function-modules/per-event.ts', [
      event('forget'),
      event('number'),
      event('bad-key'),
    ]);
    expect(rejected.map((r) => r.error.message)).toEqual([
      expect.stringContaining('returned undefined'),
      expect.stringContaining('returned number 42, not an event with a value'),
      expect.stringContaining('whose key is number 7'),
    ]);
    for (const r of rejected) expect(r.error).toMatchObject({ kind: 'record', code: 'E_FUNCTION_RESULT' });
  });

  it('runs a JavaScript module whose function is async', async () => {
    const { events } = await run('./function-modules/async-event.js', [event(1)]);
    expect(events[0].headers).toEqual({ checked: 'yes' });
  });

  it('hands whole batches to a module that exports process(batch), and closes it', async () => {
    const instance = await createProcessor(fn, { module: './function-modules/per-batch.ts' }, { baseDir });
    const { events } = await processFrozen(instance, [event(0), event(1), event(2)]);
    expect(events.map((e) => e.value)).toEqual([0, 2]);
    const before = closed.count;
    await instance.close?.();
    expect(closed.count).toBe(before + 1);
  });

  it('refuses a module that is missing, fails to load or exports no processor, at create time', async () => {
    const create = (module: string) => createProcessor(fn, { module }, { baseDir });
    await expect(create('./function-modules/nope.ts')).rejects.toMatchObject({
      kind: 'config',
      code: 'E_FUNCTION_MODULE',
    });
    await expect(create('./function-modules/nope.ts')).rejects.toThrow(/was not found at .*nope\.ts/);
    await expect(create('./function-modules/throws-on-load.ts')).rejects.toThrow(/failed to load: missing LOOKUP_URL/);
    await expect(create('./function-modules/no-default.ts')).rejects.toMatchObject({ code: 'E_FUNCTION_EXPORT' });
  });
});
