// The plugins known to one run: the built-in catalog plus those a pipeline file names under `plugins:`.
// A catalog entry names its kind and name up front and imports its module only when asked, so names, clash
// checks and suggestions cost nothing and a run loads only the plugins its pipelines use.
import { ConfigError } from './errors.js';
import type { Plugin, PluginKind, ProcessorPlugin, SinkPlugin, SourcePlugin } from './plugin.js';

/** A plugin known by kind and name, whose module is imported on first use. */
export interface LazyPlugin {
  kind: PluginKind;
  name: string;
  load(): Promise<{ default: Plugin }>;
}

export type PluginEntry = Plugin | LazyPlugin;

export interface RegisteredPlugin {
  plugin: Plugin;
  /** `built-in`, or the module it was loaded from. */
  origin: string;
}

type ByKind = { source: SourcePlugin; sink: SinkPlugin; processor: ProcessorPlugin };

interface Entry {
  kind: PluginKind;
  name: string;
  origin: string;
  plugin?: Plugin;
  loading?: Promise<Plugin>;
  load?: LazyPlugin['load'];
}

function isLazy(entry: PluginEntry): entry is LazyPlugin {
  return typeof (entry as Partial<LazyPlugin>).load === 'function';
}

export class PluginRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(builtins: readonly PluginEntry[] = []) {
    for (const p of builtins) this.add(p, 'built-in');
  }

  add(plugin: PluginEntry, origin: string): void {
    const id = `${plugin.kind}:${plugin.name}`;
    const existing = this.entries.get(id);
    if (existing && existing.origin !== origin) {
      throw new ConfigError(
        `${plugin.kind} "${plugin.name}" from ${origin} clashes with the one from ${existing.origin}; rename one of them`,
        { code: 'E_PLUGIN_CLASH' },
      );
    }
    const { kind, name } = plugin;
    this.entries.set(id, isLazy(plugin) ? { kind, name, origin, load: plugin.load } : { kind, name, origin, plugin });
  }

  /** The plugin if it is known and already loaded (see {@link load}). */
  get<K extends PluginKind>(kind: K, name: string): ByKind[K] | undefined {
    return this.entries.get(`${kind}:${name}`)?.plugin as ByKind[K] | undefined;
  }

  /** Imports the plugin's module if it has not been yet; undefined for a name nobody registered. */
  async load<K extends PluginKind>(kind: K, name: string): Promise<ByKind[K] | undefined> {
    const entry = this.entries.get(`${kind}:${name}`);
    if (!entry) return undefined;
    return (await this.loaded(entry)) as ByKind[K];
  }

  /** Names of every registered plugin of a kind, loaded or not. */
  names(kind: PluginKind): string[] {
    return [...this.entries.values()]
      .filter((e) => e.kind === kind)
      .map((e) => e.name)
      .sort((a, b) => a.localeCompare(b));
  }

  /** Every plugin (of a kind), loading those not loaded yet: what docs, schema and listings need. */
  async list(kind?: PluginKind): Promise<RegisteredPlugin[]> {
    const wanted = [...this.entries.values()].filter((e) => kind === undefined || e.kind === kind);
    const plugins = await Promise.all(wanted.map(async (e) => ({ plugin: await this.loaded(e), origin: e.origin })));
    return plugins.sort((a, b) => a.plugin.name.localeCompare(b.plugin.name));
  }

  private loaded(entry: Entry): Promise<Plugin> {
    if (entry.plugin) return Promise.resolve(entry.plugin);
    entry.loading ??= (async () => {
      try {
        entry.plugin = (await (entry.load as LazyPlugin['load'])()).default;
        return entry.plugin;
      } catch (err) {
        entry.loading = undefined;
        throw new ConfigError(
          `${entry.kind} "${entry.name}" (${entry.origin}) could not be loaded: ${(err as Error).message}`,
          { code: 'E_PLUGIN_LOAD', cause: err },
        );
      }
    })();
    return entry.loading;
  }
}
