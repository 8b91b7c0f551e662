import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Tests beside the code that start real payloads, child processes or a bundler: they run in
 * `npm test` (vitest.config.ts) with the others, not in the quick unit run.
 */
export const PROCESS_TESTS = [
  'src/agent/job-agent.test.ts', // runs real payloads through the job wrapper
  'src/payload/watchdog/resource-report.test.ts', // a live process tree, a FIFO
  'src/payload/sandbox/zstd-frames.test.ts', // pzstd
  'src/benchmark/db12-bundle.test.ts', // esbuild, then a node process per bundle
  'src/commands/run-staged.test.ts', // a busy payload under the watchdog
];

/**
 * `npm run test:unit`: the tests beside the code and the architecture test, in seconds; no bundle,
 * no server process, no Slurm, none of PROCESS_TESTS. `npm test` (vitest.config.ts) runs these,
 * PROCESS_TESTS and the integration tests, each file in a fresh process.
 *
 * Here a worker process runs file after file (isolate: false): starting a process and loading the
 * modules anew for each of 120 small files cost most of the run (docs/decisions/measurements.md,
 * "npm run test:unit"). A test that only passes alone still fails in `npm test`.
 */
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'tests/architecture.test.ts'],
    exclude: [...configDefaults.exclude, ...PROCESS_TESTS],
    testTimeout: 60_000,
    pool: 'forks',
    isolate: false,
    maxWorkers: 2,
    minWorkers: 1,
  },
});
