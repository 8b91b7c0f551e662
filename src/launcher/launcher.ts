import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { constants as vmConstants, Script } from 'node:vm';
import { bundleFor, wrapBundle } from './bundles.js';
import { recordLaunch } from '../pilot/launch-info.js';
import { applyRuntime, RUN_RUNTIME, RUNTIME_MARKER } from '../pilot/runtime-reexec.js';

/**
 * dist/pilot.cjs and the standalone executables' main script: picks the bundle for the command
 * (pilot-lite for probe, version and help; pilot-main otherwise), then compiles it with the V8
 * code cache made at build time after a representative run, so the functions that run are
 * deserialized, not compiled. Node's own caches (compile cache, the executable's code cache)
 * hold only what is compiled before a script runs, which for a bundle is little more than its
 * top level.
 *
 * A cache made by another Node build is rejected by V8 and the bundle is compiled from source:
 * slower, never wrong. `pilot version --json` reports which bundle ran and what became of its
 * cache.
 *
 * Build hook (scripts/build.mjs): with PILOT_WRITE_CODE_CACHE=FILE, a run outside the
 * executable writes the code cache of everything it compiled to FILE when it exits.
 */

interface SeaModule {
  isSea(): boolean;
  getAsset(key: string, encoding: 'utf8'): string;
  getRawAsset(key: string): ArrayBuffer;
}

function seaModule(): SeaModule | null {
  try {
    const sea = process.getBuiltinModule('node:sea') as SeaModule | undefined;
    return sea?.isSea() ? sea : null;
  } catch {
    return null;
  }
}

/**
 * `pilot run` that will supervise jobs (not `--dry-run`) and `pilot exec` (which supervises the
 * jobs an edge pilot staged, on a compute node): they run under RUN_RUNTIME.
 */
function supervisesJobs(argv: readonly string[]): boolean {
  if (argv[2] === 'exec') return true;
  return argv[2] === 'run' && !argv.slice(3).some((arg) => arg === '--dry-run' || arg.startsWith('--dry-run='));
}

function launch(): void {
  const sea = seaModule();
  // Re-executed here, before a bundle is read, compiled and initialised only to be replaced:
  // `pilot run` itself would do it (src/subcommands/run.ts), a whole start later.
  if (supervisesJobs(process.argv)) {
    applyRuntime(
      { execPath: process.execPath, argv: process.argv, execArgv: process.execArgv, env: process.env, isSea: sea !== null },
      RUN_RUNTIME,
    );
  }
  const bundle = bundleFor(process.argv[2]);
  // A code cache is only accepted under the V8 flags it was made with, and a re-executed
  // `pilot run` has RUN_RUNTIME's: it has a cache of its own.
  const cacheName = process.env[RUNTIME_MARKER] !== undefined ? `${bundle}.run.cjs.cache` : `${bundle}.cjs.cache`;
  let source: string;
  let cache: Buffer | undefined;
  let filename: string;
  let bundleRequire: NodeJS.Require;
  if (sea) {
    source = sea.getAsset(`${bundle}.cjs`, 'utf8');
    try {
      cache = Buffer.from(sea.getRawAsset(cacheName));
    } catch {
      cache = undefined; // this architecture's executable was built without one
    }
    // As for a SEA main script: the executable is the file, and require() serves built-ins.
    filename = process.execPath;
    bundleRequire = require;
  } else {
    filename = join(__dirname, `${bundle}.cjs`);
    source = readFileSync(filename, 'utf8');
    try {
      cache = readFileSync(join(__dirname, cacheName));
    } catch {
      cache = undefined;
    }
    bundleRequire = createRequire(filename);
  }
  const writeCacheTo = sea ? undefined : process.env.PILOT_WRITE_CODE_CACHE;
  const script = new Script(wrapBundle(source), {
    filename,
    ...(cache && !writeCacheTo ? { cachedData: cache } : {}),
    importModuleDynamically: vmConstants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  recordLaunch({ bundle, codeCache: cache && !writeCacheTo ? (script.cachedDataRejected ? 'rejected' : 'accepted') : 'none' });
  if (writeCacheTo) {
    delete process.env.PILOT_WRITE_CODE_CACHE; // not for payloads or children
    process.once('exit', () => {
      try {
        writeFileSync(writeCacheTo, script.createCachedData());
      } catch (error) {
        process.stderr.write(`pilot: code cache not written to ${writeCacheTo}: ${(error as Error).message}\n`);
      }
    });
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    module.exports,
    module.exports,
    bundleRequire,
    module,
    filename,
    dirname(filename),
  );
}

launch();
