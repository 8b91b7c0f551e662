#!/usr/bin/env node
// `npm run lint`: ESLint over the tree (eslint.config.js). Where ESLint is not installed (a work
// tree sharing an older node_modules), it says so and skips, except under CI (CI=true, as
// .ci/run runs after `npm ci`), where a missing linter is a failure.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
let bin;
try {
  bin = path.join(path.dirname(require.resolve('eslint/package.json')), 'bin', 'eslint.js');
} catch {
  if (process.env.CI) {
    console.error('lint: eslint is not installed (npm ci installs it)');
    process.exit(1);
  }
  console.error('lint: skipped: eslint is not installed in this node_modules (run npm ci)');
  process.exit(0);
}
const run = spawnSync(process.execPath, [bin, ...process.argv.slice(2), '.'], { stdio: 'inherit' });
process.exit(run.status ?? 1);
