import { defineConfig } from 'vitest/config';

/**
 * `npm run test:unit`: the tests beside the code and the architecture test; no bundle, no server
 * process, no Slurm. `npm test` (vitest.config.ts) runs these and the integration tests.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/architecture.test.ts'],
    testTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
  },
});
