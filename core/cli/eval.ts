// `sluice eval '<jsonata>' [--event '{…}'] [--value '{…}']`: what an expression gives for one event, through
// the same `map` processor that pipelines run, so a result here is a result there.
import { ConfigError } from '../errors.js';
import type { SluiceEvent } from '../event.js';
import { type PluginEntry, PluginRegistry } from '../registry.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';
import { silentContext } from './silent-context.js';

export interface EvalOptions {
  /** The whole event as JSON: `{ "key": …, "value": …, "ts": …, "headers": {…} }`. */
  event?: string;
  /** Only the value as JSON (the rest of the event is empty). */
  value?: string;
}

export async function evalCommand(
  expression: string,
  options: EvalOptions,
  builtins: readonly PluginEntry[],
): Promise<number> {
  try {
    const map = await new PluginRegistry(builtins).load('processor', 'map');
    if (!map) throw new ConfigError('the map processor is not available', { code: 'E_EVAL' });
    const parsed = map.config.safeParse({ expression, whenMissing: 'null' });
    if (!parsed.success) {
      throw new ConfigError(parsed.error.issues.map((i) => i.message).join('; '), { code: 'E_EXPRESSION_SYNTAX' });
    }
    const event = eventFrom(options);
    const instance = await map.create(parsed.data, silentContext('eval'));
    const out = await instance.process([event]);
    const result = Array.isArray(out) ? { events: out } : out;
    const [rejected] = result.rejected ?? [];
    if (rejected) throw rejected.error;
    process.stdout.write(`${JSON.stringify(result.events[0]?.value ?? null, null, 2)}\n`);
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

function eventFrom(options: EvalOptions): SluiceEvent {
  const base: SluiceEvent = { key: null, value: null, ts: Date.now(), headers: {} };
  if (options.value !== undefined) return { ...base, value: json(options.value, '--value') };
  if (options.event === undefined) return base;
  const given = json(options.event, '--event');
  if (given === null || typeof given !== 'object' || Array.isArray(given))
    throw new ConfigError('--event must be a JSON object such as {"key":"car-1","value":{"speed":42}}', {
      code: 'E_EVAL_EVENT',
    });
  const e = given as Partial<SluiceEvent>;
  return { key: e.key ?? null, value: e.value ?? null, ts: e.ts ?? base.ts, headers: e.headers ?? {} };
}

function json(text: string, option: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${option} is not JSON: ${(err as Error).message}`, { code: 'E_EVAL_EVENT' });
  }
}
