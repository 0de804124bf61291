// `sluice validate`: load and check pipeline files without starting anything.
import { formatIssue } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import type { PluginEntry } from '../registry.js';
import { EXIT } from './exit-codes.js';
import { reportError } from './report-error.js';

export async function validateCommand(
  paths: string[],
  options: { quiet?: boolean; connect?: boolean },
  builtins: readonly PluginEntry[],
): Promise<number> {
  try {
    const config = await loadConfig(paths, { builtins, connect: options.connect ?? false });
    for (const w of config.warnings) process.stderr.write(`sluice: warning: ${formatIssue(w)}\n`);
    if (!options.quiet) {
      const mode = config.redis ? 'fleet (Redis)' : 'embedded';
      process.stdout.write(
        `${config.files.length} file(s) valid: ${config.pipelines.length} pipeline(s), ${config.topics.size} topic(s), ${mode} mode\n`,
      );
      for (const p of config.pipelines) {
        const from = p.source
          ? `${p.source.plugin.name} → `
          : p.query
            ? `topic "${p.query.input}" → query per ${p.query.window} ms window → `
            : '';
        const to = p.sinks.map((s) => s.plugin.name).join(', ');
        process.stdout.write(`  ${p.name}: ${from}topic "${p.topic}"${to ? ` → ${to}` : ''}\n`);
      }
    }
    return EXIT.ok;
  } catch (err) {
    return reportError(err);
  }
}
