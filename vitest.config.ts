import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { FiguresReporter } from './test/harness/figures-reporter.js';

const built = (path: string) => fileURLToPath(new URL(`./dist/${path}`, import.meta.url));

export default defineConfig({
  resolve: {
    // The example plugin packages in templates/examples import `sluice` as an installed package would; inside
    // this repository that is the build of this checkout (as the package's own self-reference is).
    alias: [
      { find: /^sluice$/, replacement: built('core/index.js') },
      { find: /^sluice\/testing$/, replacement: built('test/conformance/index.js') },
      { find: /^sluice\/engine$/, replacement: built('engine.js') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'templates/**/*.test.ts'],
    // The packed-package test installs from the registry: `npm run test:package`, run by CI on its own.
    exclude: ['test/package/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites start real servers; two cores do not gain from more parallel files.
    maxWorkers: 2,
    // The security and chaos suites record figures that this reporter prints as tables at the end.
    reporters: ['default', new FiguresReporter()],
  },
});
