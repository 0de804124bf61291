#!/usr/bin/env node
// The `sluice` command. The CLI lives in core; the built-in plugins are handed to it from the one list.
const load = () => Promise.all([import('../dist/core/cli/main.js'), import('../dist/builtins.js')]);

load()
  .then(([cli, { builtins }]) => cli.main(process.argv, builtins))
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('/dist/')) {
      process.stderr.write('sluice: the build is missing; run `npm run build` (npm ci runs it for you)\n');
      process.exit(1);
    }
    throw err;
  });
