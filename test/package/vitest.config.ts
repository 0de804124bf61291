// `npm run test:package`: the published package as a user gets it (npm pack, installed into an empty folder).
// Apart from `npm test` because it installs from the registry and takes minutes; CI runs it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/package/**/*.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
  },
});
