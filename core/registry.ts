// The plugins known to one run: the built-in list plus those a pipeline file names under `plugins:`.
import { ConfigError } from './errors.js';
import type { Plugin, PluginKind, ProcessorPlugin, SinkPlugin, SourcePlugin } from './plugin.js';

export interface RegisteredPlugin {
  plugin: Plugin;
  /** `built-in`, or the module it was loaded from. */
  origin: string;
}

type ByKind = { source: SourcePlugin; sink: SinkPlugin; processor: ProcessorPlugin };

export class PluginRegistry {
  private readonly entries = new Map<string, RegisteredPlugin>();

  constructor(builtins: readonly Plugin[] = []) {
    for (const p of builtins) this.add(p, 'built-in');
  }

  add(plugin: Plugin, origin: string): void {
    const id = `${plugin.kind}:${plugin.name}`;
    const existing = this.entries.get(id);
    if (existing && existing.origin !== origin) {
      throw new ConfigError(
        `${plugin.kind} "${plugin.name}" from ${origin} clashes with the one from ${existing.origin}; rename one of them`,
        { code: 'E_PLUGIN_CLASH' },
      );
    }
    this.entries.set(id, { plugin, origin });
  }

  get<K extends PluginKind>(kind: K, name: string): ByKind[K] | undefined {
    return this.entries.get(`${kind}:${name}`)?.plugin as ByKind[K] | undefined;
  }

  names(kind: PluginKind): string[] {
    return this.list(kind).map((e) => e.plugin.name);
  }

  list(kind?: PluginKind): RegisteredPlugin[] {
    return [...this.entries.values()]
      .filter((e) => kind === undefined || e.plugin.kind === kind)
      .sort((a, b) => a.plugin.name.localeCompare(b.plugin.name));
  }
}
