// The console's built files (dist/console), read once when the port starts: the port then serves only the names
// it read, so no request path ever reaches the file system. Three folders up from dist/core/admin/console is
// dist/; from the source tree it is the checkout, whose build is in dist/.
import { readdir, readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ConfigError } from '../../errors.js';

export interface ConsoleFile {
  body: Buffer;
  type: string;
  /** Hashed names never change content: browsers keep them; index.html is asked for again each time. */
  isImmutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

const CANDIDATES = ['../../../console/', '../../../dist/console/'];

export async function readConsoleFiles(): Promise<Map<string, ConsoleFile>> {
  for (const candidate of CANDIDATES) {
    const dir = new URL(candidate, import.meta.url);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    if (!names.includes('index.html')) continue;
    const files = new Map<string, ConsoleFile>();
    for (const name of names) {
      const type = TYPES[extname(name)];
      if (!type) continue;
      files.set(name, { body: await readFile(new URL(name, dir)), type, isImmutable: name !== 'index.html' });
    }
    return files;
  }
  throw new ConfigError('--console: the console is not built (dist/console is missing); run `npm run build`', {
    code: 'E_CONSOLE_NOT_BUILT',
  });
}
