#!/usr/bin/env node
// Bundles the pilot into one CommonJS file (dist/pilot.cjs): what `npx pilot`, the tests
// and the standalone executables (scripts/build-binaries.sh) all run.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
let commit = process.env.PILOT_GIT_COMMIT ?? 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
    .toString()
    .trim();
} catch {
  // not a git checkout (e.g. a source tarball): keep 'unknown'
}

// The native addon for this machine (idempotent; quick when up to date). Without a compiler the
// pilot still works on its pure-TS fallbacks, so a failure here is a warning, not an error.
const arch = { x64: 'x64', arm64: 'arm64' }[process.arch];
if (arch && process.env.PILOT_SKIP_NATIVE !== '1') {
  const native = spawnSync('bash', ['scripts/build-native.sh', arch], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (native.status !== 0) process.stderr.write(`build: native addon not built (pure-TS fallbacks will be used): ${native.stderr.trim().split('\n').pop()}\n`);
}

await build({
  // The pilot, and the DiracX-compatible dev server used by the demo and the integration tests.
  entryPoints: {
    pilot: 'src/pilot/main.ts',
    ...(existsSync('src/devserver/main.ts') ? { devserver: 'src/devserver/main.ts' } : {}),
    ...(existsSync('src/devserver-dirac/main.ts') ? { 'devserver-dirac': 'src/devserver-dirac/main.ts' } : {}),
  },
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node22',
  sourcemap: false,
  legalComments: 'none',
  logLevel: 'warning',
  define: {
    __PILOT_VERSION__: JSON.stringify(pkg.version),
    __PILOT_COMMIT__: JSON.stringify(commit),
    'import.meta.url': '__import_meta_url',
  },
  // import.meta.url is used by ESM sources; in the CJS bundle it maps to the file URL.
  banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
});
