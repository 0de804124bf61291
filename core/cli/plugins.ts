// `sluice plugins`: every source, sink and processor with its summary.
import { loadPluginModule } from '../config/load-plugins.js';
import type { PluginKind } from '../plugin.js';
import { type PluginEntry, PluginRegistry } from '../registry.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export async function pluginsCommand(
  options: { json?: boolean; plugin?: string[] },
  builtins: readonly PluginEntry[],
): Promise<number> {
  try {
    const registry = new PluginRegistry(builtins);
    for (const specifier of options.plugin ?? []) {
      for (const p of await loadPluginModule(specifier, process.cwd())) registry.add(p, specifier);
    }
    const kinds: Array<[PluginKind, string]> = [
      ['source', 'Sources'],
      ['processor', 'Processors'],
      ['sink', 'Sinks'],
    ];
    if (options.json) {
      const list = (await registry.list()).map((e) => ({
        kind: e.plugin.kind,
        name: e.plugin.name,
        summary: e.plugin.summary,
        origin: e.origin,
      }));
      process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
      return EXIT.ok;
    }
    for (const [kind, title] of kinds) {
      const entries = await registry.list(kind);
      process.stdout.write(`${title}:\n`);
      const width = Math.max(0, ...entries.map((e) => e.plugin.name.length));
      for (const e of entries) {
        const origin = e.origin === 'built-in' ? '' : `  (${e.origin})`;
        process.stdout.write(`  ${e.plugin.name.padEnd(width)}  ${e.plugin.summary}${origin}\n`);
      }
      process.stdout.write('\n');
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}
