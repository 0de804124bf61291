// Loads the plugin modules a pipeline file names under `plugins:` and checks the SDK version they target.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { type Plugin, SDK_VERSION } from '../plugin.js';

function isPlugin(value: unknown): value is Plugin {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<Plugin>;
  return (
    (v.kind === 'source' || v.kind === 'sink' || v.kind === 'processor') &&
    typeof v.name === 'string' &&
    typeof v.create === 'function'
  );
}

/** The plugins a module exports: its default export (one plugin or a list), or named plugin exports. */
function pluginsOf(mod: Record<string, unknown>): Plugin[] {
  let exported: unknown = mod.default !== undefined ? mod.default : mod;
  // A TypeScript module compiled as CommonJS arrives as { default: { default: plugin } }.
  if (exported !== null && typeof exported === 'object' && !isPlugin(exported) && !Array.isArray(exported)) {
    const inner = exported as Record<string, unknown>;
    exported = inner.default !== undefined ? inner.default : Object.values(inner);
  }
  return [exported].flat(2).filter(isPlugin);
}

const typeScriptModules = new Map<string, Promise<Record<string, unknown>>>();

async function importModule(specifier: string, baseDir: string): Promise<Record<string, unknown>> {
  const isPath = specifier.startsWith('.') || isAbsolute(specifier);
  if (!isPath) {
    // Resolved as Node's ESM loader would from the pipeline's folder, so ESM-only packages (exports with
    // only an `import` condition) load as well as CommonJS ones.
    const { resolve: resolveEsm } = await import('import-meta-resolve');
    return import(resolveEsm(specifier, pathToFileURL(resolve(baseDir, 'package.json')).href));
  }
  let full = resolve(baseDir, specifier);
  if (!existsSync(full)) throw new Error(`file ${full} does not exist`);
  if (statSync(full).isDirectory()) full = packageEntry(full);
  if (/\.(c|m)?tsx?$/.test(full)) {
    // TypeScript plugins load through tsx without registering a global loader. tsImport compiles afresh on
    // every call, so one process (validate, test, a fuzzing suite) keeps each module it loaded.
    let loaded = typeScriptModules.get(full);
    if (!loaded) {
      const tsx = await import('tsx/esm/api').catch(() => {
        throw new Error('loading a TypeScript plugin needs the npm package tsx: npm install tsx (or build it to .js)');
      });
      loaded = tsx.tsImport(pathToFileURL(full).href, import.meta.url) as Promise<Record<string, unknown>>;
      typeScriptModules.set(full, loaded);
      loaded.catch(() => typeScriptModules.delete(full));
    }
    return loaded;
  }
  return import(pathToFileURL(full).href);
}

/** The file a plugin package folder exports (`exports["."]`, else `main`), as an import of the package would. */
function packageEntry(folder: string): string {
  const file = join(folder, 'package.json');
  if (!existsSync(file)) throw new Error(`folder ${folder} has no package.json; name the plugin's file instead`);
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { exports?: unknown; main?: string };
  let entry: unknown = pkg.exports;
  if (entry !== null && typeof entry === 'object' && '.' in entry) entry = (entry as Record<string, unknown>)['.'];
  while (entry !== null && typeof entry === 'object') {
    const conditions = entry as Record<string, unknown>;
    entry = conditions.import ?? conditions.default ?? conditions.node;
  }
  return resolve(folder, typeof entry === 'string' ? entry : (pkg.main ?? 'index.js'));
}

/** Loads one `plugins:` entry. Throws ConfigError with what to fix. */
export async function loadPluginModule(specifier: string, baseDir: string): Promise<Plugin[]> {
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(specifier, baseDir);
  } catch (err) {
    throw new ConfigError(`plugin module "${specifier}" could not be loaded: ${(err as Error).message}`, {
      code: 'E_PLUGIN_LOAD',
      cause: err,
    });
  }
  const plugins = pluginsOf(mod);
  if (plugins.length === 0) {
    throw new ConfigError(
      `plugin module "${specifier}" exports no plugin; export default defineSource(...), defineSink(...) or defineProcessor(...)`,
      { code: 'E_PLUGIN_EMPTY' },
    );
  }
  for (const p of plugins) {
    if (p.sdkVersion !== SDK_VERSION) {
      throw new ConfigError(
        `plugin "${p.name}" in "${specifier}" was built for Sluice SDK v${p.sdkVersion}, but this Sluice speaks v${SDK_VERSION}; rebuild the plugin against this version`,
        { code: 'E_PLUGIN_SDK_VERSION' },
      );
    }
  }
  return plugins;
}
