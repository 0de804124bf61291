import { defineConfig } from 'vitest/config';
import { FiguresReporter } from './test/harness/figures-reporter.js';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites start real servers; two cores do not gain from more parallel files.
    maxWorkers: 2,
    // The security and chaos suites record figures that this reporter prints as tables at the end.
    reporters: ['default', new FiguresReporter()],
  },
});
