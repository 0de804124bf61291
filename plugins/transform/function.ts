// Runs a user's TypeScript or JavaScript module as a processor, for logic an expression cannot say.
// Its default export is `(event) => event | event[] | null` (or a promise of that) or `{ process(batch), close?() }`.
import { access } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, RecordError } from '../../core/errors.js';
import type { SluiceEvent } from '../../core/event.js';
import { defineProcessor, eachRecord, type ProcessorInstance, z } from '../../core/plugin.js';

type EventFunction = (event: SluiceEvent) => unknown;

export default defineProcessor({
  name: 'function',
  summary: 'Run a TypeScript or JavaScript function of your own on each event (or on each batch).',
  config: z.object({
    module: z
      .string()
      .min(1)
      .describe(
        'Path of the module, relative to the pipeline file, e.g. ./enrich.ts. Its default export is (event) => event | event[] | null, or an object with process(batch).',
      ),
  }),
  async check({ module }, ctx) {
    const path = modulePath(module, ctx.baseDir);
    try {
      await access(path);
      return [];
    } catch {
      return [{ path: ['module'], message: notFound(module, path), hint: 'paths are relative to the pipeline file' }];
    }
  },
  async create({ module }, ctx) {
    const path = modulePath(module, ctx.baseDir);
    const exported = await load(module, path);
    if (typeof exported === 'function') return perEvent(exported as EventFunction, module);
    if (
      exported !== null &&
      typeof exported === 'object' &&
      typeof (exported as ProcessorInstance).process === 'function'
    ) {
      return exported as ProcessorInstance;
    }
    throw new ConfigError(
      `function module "${module}" (${path}) must export default a function (event) => event | event[] | null, or an object with process(batch); it exports ${describe(exported)}`,
      { code: 'E_FUNCTION_EXPORT' },
    );
  },
});

function modulePath(module: string, baseDir: string): string {
  return isAbsolute(module) ? module : resolve(baseDir, module);
}

function notFound(module: string, path: string): string {
  return `function module "${module}" was not found at ${path}`;
}

async function load(module: string, path: string): Promise<unknown> {
  try {
    await access(path);
  } catch {
    throw new ConfigError(`${notFound(module, path)}; paths are relative to the pipeline file`, {
      code: 'E_FUNCTION_MODULE',
    });
  }
  try {
    return ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
  } catch (err) {
    throw new ConfigError(`function module "${module}" (${path}) failed to load: ${(err as Error).message}`, {
      code: 'E_FUNCTION_MODULE',
      cause: err,
    });
  }
}

function perEvent(fn: EventFunction, module: string): ProcessorInstance {
  return {
    process: (batch) =>
      eachRecord(batch, async (event) => {
        let out: unknown;
        try {
          out = await fn(event);
        } catch (err) {
          // An error with a kind keeps it (a function may ask for a retry); anything else is about this record.
          if (err !== null && typeof err === 'object' && 'kind' in err) throw err;
          throw new RecordError(
            `function "${module}" threw for this event: ${(err as Error)?.message ?? String(err)}`,
            {
              code: 'E_FUNCTION_THREW',
              cause: err,
            },
          );
        }
        if (out === null) return null;
        if (!Array.isArray(out)) return asEvent(out, event, module);
        const events = out.map((item) => asEvent(item, event, module));
        // Several events out of one: those still carrying the input's id get ids of their own (`<id>:<index>`).
        return events.length > 1 && event.id !== undefined
          ? events.map((e, i) => (e.id === event.id ? { ...e, id: `${event.id}:${i}` } : e))
          : events;
      }),
  };
}

/** Checks what the function returned; fields it left out are taken from the input event. */
function asEvent(out: unknown, input: SluiceEvent, module: string): SluiceEvent {
  const fail = (what: string) =>
    new RecordError(
      `function "${module}" returned ${what}; return an event ({ ...event, value }), an array of events, or null to drop`,
      {
        code: 'E_FUNCTION_RESULT',
      },
    );
  if (out === undefined) throw fail('undefined');
  if (out === null || typeof out !== 'object' || Array.isArray(out) || out instanceof Uint8Array || !('value' in out)) {
    throw fail(`${describe(out)}, not an event with a value`);
  }
  const e = { ...input, ...(out as Partial<SluiceEvent>) };
  if (e.key !== null && typeof e.key !== 'string')
    throw fail(`an event whose key is ${describe(e.key)} (text or null expected)`);
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts))
    throw fail(`an event whose ts is ${describe(e.ts)} (epoch ms expected)`);
  if (
    e.headers === null ||
    typeof e.headers !== 'object' ||
    Object.values(e.headers).some((v) => typeof v !== 'string')
  ) {
    throw fail('an event whose headers are not all text');
  }
  return e;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value).slice(0, 40)}`;
}
