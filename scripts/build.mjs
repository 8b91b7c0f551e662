#!/usr/bin/env node
// Bundles the pilot into two CommonJS files behind a small launcher (src/launcher/launcher.ts):
//   dist/pilot-lite.cjs  probe, version and the help: what must start about as fast as Node does
//   dist/pilot-main.cjs  every subcommand
//   dist/pilot.cjs       the launcher: picks the bundle from the first argument (what `npx pilot`,
//                        the tests and, embedded, the standalone executables run)
// and, beside each bundle, the V8 code cache of a representative run of it (<bundle>.cjs.cache),
// so that a start deserializes the functions it runs instead of compiling them.
import { build } from 'esbuild';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

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
  if (native.status !== 0)
    process.stderr.write(`build: native addon not built (pure-TS fallbacks will be used): ${native.stderr.trim().split('\n').pop()}\n`);
}

await build({
  // The pilot, and the DiracX-compatible dev server used by the demo and the integration tests.
  entryPoints: {
    'pilot-main': 'src/subcommands/main.ts',
    'pilot-lite': 'src/subcommands/main-lite.ts',
    pilot: 'src/launcher/launcher.ts',
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
  // Minified: V8 reads and compiles (or deserializes) the bundle at every start, and the smaller
  // it is the less of both. Names are not kept: esbuild's keepNames re-attaches every function's
  // name at load, which allocates and costs `pilot probe` a few percent of its run. Stack traces
  // (printed with --debug on an internal error) then show minified names; PILOT_READABLE_BUILD=1
  // builds with identifiers intact for debugging (larger: the executables exceed their budget).
  minify: process.env.PILOT_READABLE_BUILD !== '1',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  define: {
    __PILOT_VERSION__: JSON.stringify(pkg.version),
    __PILOT_COMMIT__: JSON.stringify(commit),
    'import.meta.url': '__import_meta_url',
  },
  // import.meta.url is used by ESM sources; in the CJS bundle it maps to the file URL.
  banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
});

// The code caches: each bundle run once the way it is used most, with the launcher writing the
// cache of everything compiled by then (PILOT_WRITE_CODE_CACHE). The cache is only valid for the
// Node build that made it (this one, the pinned 22.23.3) and for the V8 flags it ran under; any
// other Node, or other flags, rejects it and compiles. A re-executed `pilot run` runs under
// RUN_RUNTIME's Node options (src/pilot/runtime-reexec.ts), so the main bundle gets a second
// cache, `.run.cjs.cache`, made under them: the launcher picks it when the re-exec marker is set.
const runtime = await build({
  entryPoints: ['src/pilot/runtime-reexec.ts'],
  bundle: true,
  write: false,
  platform: 'node',
  format: 'cjs',
  logLevel: 'warning',
});
const runtimeModule = { exports: {} };
new Function('module', 'exports', 'require', runtime.outputFiles[0].text)(
  runtimeModule,
  runtimeModule.exports,
  createRequire(import.meta.url),
);
const { RUN_NODE_OPTIONS, RUNTIME_MARKER } = runtimeModule.exports;
// For scripts/build-binaries.sh, which makes the executables' caches the same way.
writeFileSync('dist/run-runtime.json', `${JSON.stringify({ nodeOptions: RUN_NODE_OPTIONS, marker: RUNTIME_MARKER })}\n`);
const WARM_UP = [
  { cache: 'pilot-lite.cjs.cache', args: ['probe', '--json'] },
  // The pipeline up to the match request, without a server: probe, DB12, time left, the request.
  { cache: 'pilot-main.cjs.cache', args: ['run', '--dry-run'] },
  { cache: 'pilot-main.run.cjs.cache', args: ['run', '--dry-run'], env: { NODE_OPTIONS: RUN_NODE_OPTIONS, [RUNTIME_MARKER]: '{}' } },
];
// The pinned Node (package.json devDependency `node`), whatever Node runs this script.
const pinnedNode = existsSync('node_modules/.bin/node') ? path.resolve('node_modules/.bin/node') : process.execPath;
for (const { cache: name, args, env = {} } of WARM_UP) {
  const cache = path.resolve('dist', name);
  rmSync(cache, { force: true });
  const scratch = mkdtempSync(path.join(tmpdir(), 'pilot-warm-up-'));
  try {
    const run = spawnSync(pinnedNode, [path.resolve('dist/pilot.cjs'), ...args, '--work-dir', scratch], {
      cwd: scratch,
      env: { ...process.env, ...env, PILOT_WRITE_CODE_CACHE: cache },
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (!existsSync(cache))
      process.stderr.write(
        `build: no code cache ${name} (warm-up exited ${run.status ?? run.signal}: ${run.stderr.trim().split('\n').pop()}); that bundle will be compiled at each start\n`,
      );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
