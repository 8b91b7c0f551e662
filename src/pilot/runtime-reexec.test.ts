import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  canExecDirectly,
  elfMachine,
  planReexec,
  restoreRuntimeEnvironment,
  RUNTIME_MARKER,
  RUNTIME_OPT_OUT,
  type ProcessFacts,
  type RuntimeSettings,
} from './runtime-reexec.js';

const settings: RuntimeSettings = { env: { MALLOC_ARENA_MAX: '2' }, nodeOptions: ['--max-semi-space-size=1'] };
const nodeFacts = (env: NodeJS.ProcessEnv): ProcessFacts => ({
  execPath: '/opt/node/bin/node',
  argv: ['/opt/node/bin/node', '/opt/pilot/dist/pilot.cjs', 'run', '-n', 'A.b.c'],
  execArgv: ['--enable-source-maps'],
  env,
  isSea: false,
});

describe('planReexec', () => {
  it('re-runs node with its own flags, the script and the arguments, settings added to the environment', () => {
    const plan = planReexec(nodeFacts({ PATH: '/bin', HOME: '/h' }), settings);
    expect(plan).toEqual({
      file: '/opt/node/bin/node',
      args: ['/opt/node/bin/node', '--enable-source-maps', '/opt/pilot/dist/pilot.cjs', 'run', '-n', 'A.b.c'],
      env: {
        PATH: '/bin',
        HOME: '/h',
        MALLOC_ARENA_MAX: '2',
        NODE_OPTIONS: '--max-semi-space-size=1',
        [RUNTIME_MARKER]: '{"MALLOC_ARENA_MAX":null,"NODE_OPTIONS":null}',
      },
    });
  });

  it('re-runs a standalone executable with its arguments only (Node repeats the executable as argv[1])', () => {
    const plan = planReexec(
      { execPath: '/x/pilot', argv: ['/x/pilot', '/x/pilot', 'run', '-d'], execArgv: [], env: {}, isSea: true },
      settings,
    );
    expect(plan?.args).toEqual(['/x/pilot', 'run', '-d']);
  });

  it("puts a site's NODE_OPTIONS after ours (so theirs wins) and remembers the originals", () => {
    const plan = planReexec(nodeFacts({ NODE_OPTIONS: '--max-semi-space-size=4', MALLOC_ARENA_MAX: '8' }), settings);
    expect(plan?.env.NODE_OPTIONS).toBe('--max-semi-space-size=1 --max-semi-space-size=4');
    expect(plan?.env.MALLOC_ARENA_MAX).toBe('2');
    expect(JSON.parse(plan?.env[RUNTIME_MARKER] ?? '')).toEqual({ MALLOC_ARENA_MAX: '8', NODE_OPTIONS: '--max-semi-space-size=4' });
  });

  it('leaves NODE_OPTIONS alone when there are no Node flags', () => {
    const plan = planReexec(nodeFacts({ NODE_OPTIONS: '--trace-warnings' }), { env: { MALLOC_ARENA_MAX: '2' }, nodeOptions: [] });
    expect(plan?.env.NODE_OPTIONS).toBe('--trace-warnings');
    expect(JSON.parse(plan?.env[RUNTIME_MARKER] ?? '')).toEqual({ MALLOC_ARENA_MAX: null });
  });

  it('does nothing once re-executed, when opted out, or with nothing to set', () => {
    expect(planReexec(nodeFacts({ [RUNTIME_MARKER]: '{}' }), settings)).toBeNull();
    expect(planReexec(nodeFacts({ [RUNTIME_OPT_OUT]: '1' }), settings)).toBeNull();
    expect(planReexec(nodeFacts({ [RUNTIME_OPT_OUT]: '' }), settings)).not.toBeNull();
    expect(planReexec(nodeFacts({}), { env: {}, nodeOptions: [] })).toBeNull();
  });
});

describe('restoreRuntimeEnvironment', () => {
  it('gives back exactly the environment the pilot was started with', () => {
    const started = { PATH: '/bin', NODE_OPTIONS: '--trace-warnings', MALLOC_ARENA_MAX: '8' };
    const plan = planReexec(nodeFacts({ ...started }), settings);
    const env: NodeJS.ProcessEnv = { ...plan!.env };
    expect(restoreRuntimeEnvironment(env)).toBe(true);
    expect(env).toEqual(started);
  });

  it('removes variables that were not there before', () => {
    const plan = planReexec(nodeFacts({ PATH: '/bin' }), settings);
    const env: NodeJS.ProcessEnv = { ...plan!.env };
    restoreRuntimeEnvironment(env);
    expect(env).toEqual({ PATH: '/bin' });
  });

  it('reports a process that was not re-executed, and drops a garbled marker', () => {
    expect(restoreRuntimeEnvironment({ PATH: '/bin' })).toBe(false);
    const env: NodeJS.ProcessEnv = { [RUNTIME_MARKER]: 'not json', MALLOC_ARENA_MAX: '2' };
    expect(restoreRuntimeEnvironment(env)).toBe(false);
    expect(env).toEqual({ MALLOC_ARENA_MAX: '2' });
  });
});

describe('canExecDirectly', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reexec-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs this Node (an ELF for the same machine as /bin/sh)', () => {
    expect(elfMachine(process.execPath)).not.toBeNull();
    expect(canExecDirectly(process.execPath)).toBe(true);
  });

  it('refuses an ELF for another machine, a file that is not executable, and a missing one', () => {
    const foreign = path.join(dir, 'foreign');
    const bytes = Buffer.from(readFileSync(process.execPath).subarray(0, 64));
    const machine = bytes[5] === 2 ? bytes.readUInt16BE(18) : bytes.readUInt16LE(18);
    const other = machine === 183 ? 62 : 183; // aarch64 <-> x86_64
    if (bytes[5] === 2) bytes.writeUInt16BE(other, 18);
    else bytes.writeUInt16LE(other, 18);
    writeFileSync(foreign, bytes, { mode: 0o755 });
    expect(elfMachine(foreign)).toBe(other);
    expect(canExecDirectly(foreign)).toBe(false);
    const plain = path.join(dir, 'plain');
    copyFileSync('/bin/sh', plain);
    chmodSync(plain, 0o644);
    expect(canExecDirectly(plain)).toBe(false);
    expect(canExecDirectly(path.join(dir, 'missing'))).toBe(false);
  });

  it('without a readable reference, an executable file is enough', () => {
    expect(canExecDirectly(process.execPath, path.join(dir, 'no-reference'))).toBe(true);
  });
});
