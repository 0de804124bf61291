// The version of this package, read from its package.json: two folders up from source, three from dist/.
import { readFileSync } from 'node:fs';

export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (pkg.name === 'sluice') return pkg.version;
    } catch {
      // not at this level
    }
  }
  return 'unknown';
}
