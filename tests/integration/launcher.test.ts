import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// dist/ as `npm test` built it: the launcher, both bundles, their code caches (scripts/build.mjs).
const dist = path.resolve(import.meta.dirname, '../../dist');
const copies: string[] = [];
afterAll(() => copies.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** A copy of the launcher and the lite bundle, with `cache` as its code cache (null: none). */
function copyOfDist(cache: Buffer | 'real' | null): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pilot-launcher-'));
  copies.push(dir);
  for (const file of ['pilot.cjs', 'pilot-lite.cjs', 'pilot-main.cjs']) copyFileSync(path.join(dist, file), path.join(dir, file));
  if (cache === 'real') copyFileSync(path.join(dist, 'pilot-lite.cjs.cache'), path.join(dir, 'pilot-lite.cjs.cache'));
  else if (cache) writeFileSync(path.join(dir, 'pilot-lite.cjs.cache'), cache);
  return dir;
}

function versionLaunch(dir: string, env: NodeJS.ProcessEnv = {}) {
  const run = spawnSync(process.execPath, [path.join(dir, 'pilot.cjs'), 'version', '--json'], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
  });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return (JSON.parse(run.stdout) as { launch: unknown }).launch;
}

describe('the launcher (dist/pilot.cjs)', () => {
  it('runs version from the lite bundle, with the build-time code cache accepted by this Node', () => {
    expect(existsSync(path.join(dist, 'pilot-lite.cjs.cache')), 'npm run build makes the caches').toBe(true);
    expect(versionLaunch(copyOfDist('real'))).toEqual({ bundle: 'pilot-lite', codeCache: 'accepted' });
  });

  it('compiles from source when the cache is missing or not V8’s, and still answers', () => {
    expect(versionLaunch(copyOfDist(null))).toEqual({ bundle: 'pilot-lite', codeCache: 'none' });
    expect(versionLaunch(copyOfDist(Buffer.from('not a code cache at all'.repeat(100))))).toEqual({
      bundle: 'pilot-lite',
      codeCache: 'rejected',
    });
  });

  it('PILOT_WRITE_CODE_CACHE writes a cache that the next start accepts', () => {
    const dir = copyOfDist(null);
    const cache = path.join(dir, 'pilot-lite.cjs.cache');
    expect(versionLaunch(dir, { PILOT_WRITE_CODE_CACHE: cache })).toEqual({ bundle: 'pilot-lite', codeCache: 'none' });
    expect(statSync(cache).size).toBeGreaterThan(10_000);
    expect(versionLaunch(dir)).toEqual({ bundle: 'pilot-lite', codeCache: 'accepted' });
  });

  it('a re-executed pilot run (marker and Node options set) takes the main bundle’s .run cache, made under those options', () => {
    const runtime = JSON.parse(readFileSync(path.join(dist, 'run-runtime.json'), 'utf8')) as { nodeOptions: string; marker: string };
    expect(runtime.nodeOptions).not.toBe('');
    const work = mkdtempSync(path.join(tmpdir(), 'pilot-launcher-run-'));
    copies.push(work);
    const env = { PATH: process.env.PATH, NODE_OPTIONS: runtime.nodeOptions, [runtime.marker]: '{}' };
    const run = spawnSync(
      process.execPath,
      [path.join(dist, 'pilot.cjs'), 'run', '--dry-run', '-d', '--work-dir', work, '-X', 'check-worker-node'],
      { encoding: 'utf8', env, cwd: work },
    );
    expect(run.status, run.stderr).toBe(0);
    const line = `${run.stdout}\n${run.stderr}`.split('\n').find((l) => l.includes('"launch"'));
    expect(line, 'the debug line naming the launch').toBeDefined();
    expect(JSON.parse(line!).launch).toEqual({ bundle: 'pilot-main', codeCache: 'accepted' });
  });

  it('runs the other commands from the main bundle', () => {
    const run = spawnSync(
      process.execPath,
      [path.join(dist, 'pilot.cjs'), 'timeleft', '--json', '--CPUTime', '100', '--cpu-power-source', 'config', '--cpu-power', '10'],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ cpuWorkLeft: { work: 1000 } });
  });
});

describe('PILOT_WRITE_CODE_CACHE naming a place that cannot be written', () => {
  it('says so in one line and keeps the command’s own result', () => {
    const run = spawnSync(process.execPath, [path.join(dist, 'pilot.cjs'), 'version'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, PILOT_WRITE_CODE_CACHE: '/nonexistent-dir/cache' },
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('pilot ');
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^pilot: code cache not written to \/nonexistent-dir\/cache: ENOENT/),
    ]);
  });
});

describe('what `pilot probe` loads of Node itself', () => {
  // The pinned Node the executables embed (devDependency `node`), run with a preload that records
  // process.moduleLoadList at exit: Node's internals beyond those of a bare start each cost
  // compile time on every probe. These are the ones measured as costly (docs/decisions/
  // standalone-executables.md, "Start-up"): perf_hooks comes with the `performance` global,
  // internal/fs/dir with a bundled default import of node:fs, fs/promises brings streams and
  // readline, and child_process or worker threads mean something ran that a probe needs not.
  const pinnedNode = path.resolve(import.meta.dirname, '../../node_modules/.bin/node');
  const COSTLY = /perf_hooks|internal\/fs\/(promises|dir)|child_process|stream|worker|readline/;

  function loadedBy(args: string[]): Set<string> {
    const dir = mkdtempSync(path.join(tmpdir(), 'pilot-modules-'));
    copies.push(dir);
    const preload = path.join(dir, 'record.cjs');
    const out = path.join(dir, 'modules.txt');
    writeFileSync(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`,
    );
    // PATH without nvidia-smi or apptainer: the probe must find them absent, not run them.
    const run = spawnSync(pinnedNode, ['-r', preload, ...args], { encoding: 'utf8', cwd: dir, env: { PATH: '/nonexistent' } });
    expect(run.status, run.stderr).toBe(0);
    return new Set(readFileSync(out, 'utf8').split('\n'));
  }

  it('adds none of the costly internals to a bare start', () => {
    const bare = loadedBy(['-e', '0']);
    const probe = loadedBy([path.join(dist, 'pilot.cjs'), 'probe', '--json']);
    const added = [...probe].filter((name) => !bare.has(name));
    expect(added.length, 'the probe loads something beyond a bare start (vm, at least)').toBeGreaterThan(0);
    expect(added.filter((name) => COSTLY.test(name))).toEqual([]);
  });
});
