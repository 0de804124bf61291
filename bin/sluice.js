#!/usr/bin/env node
// The `sluice` command. The CLI lives in core; the built-in plugins are handed to it from the one list.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
// The version needs no plugin loaded: answer it before importing anything heavy.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
} else {
  Promise.all([import('../dist/core/cli/main.js'), import('../dist/builtins.js')])
    .then(([cli, { builtins }]) => cli.main(process.argv, builtins))
    .catch((err) => {
      if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/')) {
        process.stderr.write('sluice: the build is missing; run `npm run build` (npm ci runs it for you)\n');
        process.exit(1);
      }
      throw err;
    });
}
