// `sluice docs`: writes the generated reference pages (sources, processors, sinks) to a folder.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { referencePage } from '../config/plugin-docs.js';
import { sinkCommonSchema } from '../config/schema.js';
import type { Plugin } from '../plugin.js';
import { PluginRegistry } from '../registry.js';
import { EXIT } from './exit-codes.js';

export function docsCommand(options: { out: string }, builtins: readonly Plugin[]): number {
  const registry = new PluginRegistry(builtins);
  mkdirSync(options.out, { recursive: true });
  const pages: Array<[string, string, 'source' | 'sink' | 'processor']> = [
    ['sources.md', 'Sources', 'source'],
    ['processors.md', 'Processors', 'processor'],
    ['sinks.md', 'Sinks', 'sink'],
  ];
  for (const [file, title, kind] of pages) {
    writeFileSync(
      join(options.out, file),
      referencePage(
        title,
        registry.list(kind).map((e) => e.plugin),
        kind === 'sink' ? sinkCommonSchema : undefined,
      ),
    );
    process.stdout.write(`wrote ${join(options.out, file)}\n`);
  }
  return EXIT.ok;
}
