// `sluice schema`: the JSON Schema of pipeline files, for editors and CI checks.
import { pipelineFileJsonSchema } from '../config/json-schema.js';
import { loadPluginModule } from '../config/load-plugins.js';
import { type PluginEntry, PluginRegistry } from '../registry.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export async function schemaCommand(options: { plugin?: string[] }, builtins: readonly PluginEntry[]): Promise<number> {
  try {
    const registry = new PluginRegistry(builtins);
    for (const specifier of options.plugin ?? []) {
      for (const p of await loadPluginModule(specifier, process.cwd())) registry.add(p, specifier);
    }
    process.stdout.write(
      `${JSON.stringify(pipelineFileJsonSchema((await registry.list()).map((e) => e.plugin)), null, 2)}\n`,
    );
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}
