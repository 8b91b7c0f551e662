import { defineConfig } from 'vitest/config';

/**
 * `npm run soak`: the long-running pilot, apart from `npm test`. SOAK_SECONDS (default 600) sets
 * how long the pilot supervises jobs; the timeout leaves room for the last jobs and the checks.
 */
const seconds = Number(process.env.SOAK_SECONDS ?? 600);

export default defineConfig({
  test: {
    include: ['tests/soak/**/*.test.ts'],
    testTimeout: (seconds + 240) * 1000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { PILOT_SOAK: '1' },
  },
});
