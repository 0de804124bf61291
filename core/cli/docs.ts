// `sluice docs`: writes the generated reference pages (sources, processors, sinks) to a folder, or the page of
// the plugins of one module.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPluginModule } from '../config/load-plugins.js';
import { referencePage } from '../config/plugin-docs.js';
import { sinkCommonSchema } from '../config/schema.js';
import { type PluginEntry, PluginRegistry } from '../registry.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

const KIND_TITLES = { source: 'Sources', processor: 'Processors', sink: 'Sinks' } as const;

/**
 * `sluice docs --plugin <module>`: the reference of the plugins those modules export, on stdout (or as
 * `<kind>-<name>.md` files under `--out`), for a plugin package's README.
 */
async function pluginModuleDocs(options: { out?: string; plugin: string[] }): Promise<number> {
  try {
    for (const specifier of options.plugin) {
      for (const plugin of await loadPluginModule(specifier, process.cwd())) {
        const page = referencePage(
          `${KIND_TITLES[plugin.kind]}: ${plugin.name}`,
          [plugin],
          plugin.kind === 'sink' ? sinkCommonSchema : undefined,
        );
        if (options.out === undefined) {
          process.stdout.write(page);
          continue;
        }
        mkdirSync(options.out, { recursive: true });
        const file = join(options.out, `${plugin.kind}-${plugin.name}.md`);
        writeFileSync(file, page);
        process.stdout.write(`wrote ${file}\n`);
      }
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}

export async function docsCommand(
  options: { out?: string; plugin?: string[] },
  builtins: readonly PluginEntry[],
): Promise<number> {
  if (options.plugin) return pluginModuleDocs({ out: options.out, plugin: options.plugin });
  const out = options.out ?? 'docs/reference';
  const registry = new PluginRegistry(builtins);
  mkdirSync(out, { recursive: true });
  const pages: Array<[string, string, 'source' | 'sink' | 'processor']> = [
    ['sources.md', 'Sources', 'source'],
    ['processors.md', 'Processors', 'processor'],
    ['sinks.md', 'Sinks', 'sink'],
  ];
  for (const [file, title, kind] of pages) {
    writeFileSync(
      join(out, file),
      referencePage(
        title,
        (await registry.list(kind)).map((e) => e.plugin),
        kind === 'sink' ? sinkCommonSchema : undefined,
      ),
    );
    process.stdout.write(`wrote ${join(out, file)}\n`);
  }
  return EXIT.ok;
}
