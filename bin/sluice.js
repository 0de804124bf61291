#!/usr/bin/env node
import('../dist/core/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/core/cli')) {
    process.stderr.write('sluice: the build is missing; run `npm run build` (npm ci runs it for you)\n');
    process.exit(1);
  }
  throw err;
});
