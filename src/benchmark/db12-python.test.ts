import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findExecutable } from '../core/find-executable.js';
import { silentLogger } from '../core/logger.js';
import { resolveCpuPower } from './cpu-power.js';
import { CPYTHON_CALIBRATION, findReferencePython, measureCpuPowerWithPython } from './db12-python.js';

const logger = silentLogger();
const cpu = { arch: 'x86_64', vendor: 'AuthenticAMD', family: 25, model: 1, modelName: 'AMD EPYC' };
const SMALL_PYTHON = { warmupDraws: 20_000, chunkDraws: 40_000, chunks: 5, minChunks: 5, budgetSeconds: 60 };
const SMALL_JS = { warmupDraws: 200_000, chunkDraws: 200_000, chunks: 8, minChunks: 8, budgetSeconds: 60 };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'db12-python-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A stand-in interpreter: answers the identity check (4 arguments: -I -S -c SCRIPT) with
 * `identity`, and the measurement (5 arguments) with `measurement`, both shell.
 */
function fakePython(name: string, identity: string, measurement: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\nif [ $# -eq 4 ]; then echo "${identity}"; exit 0; fi\n${measurement}\n`);
  chmodSync(file, 0o755);
  return file;
}

const goodReply = (cpuSeconds: number, wallSeconds: number): string =>
  `echo '${JSON.stringify({
    implementation: 'CPython',
    version: '3.11.9',
    chunkCpu: Array(5).fill(cpuSeconds),
    chunkWall: Array(5).fill(wallSeconds),
    mean: 10.0,
    variance: 1.0,
  })}'`;

describe('findReferencePython: only a CPython 3.11, the interpreter of DIRAC DB12 figures', () => {
  it('none: not looked for', async () => {
    expect(await findReferencePython('none', { PATH: '/usr/bin' })).toEqual({ refused: 'not asked for (--db12-python none)' });
  });

  it('auto: python3.11 first, then python3; other versions and implementations are named and refused', async () => {
    fakePython('python3', 'CPython 3.9.18', 'exit 1');
    expect(await findReferencePython('auto', { PATH: dir })).toEqual({
      refused: `${path.join(dir, 'python3')} is CPython 3.9.18; DB12's figures are CPython 3.11's`,
    });
    fakePython('python3.11', 'PyPy 3.11.0', 'exit 1');
    const refused = await findReferencePython('auto', { PATH: dir });
    expect(refused).toEqual({
      refused: `${path.join(dir, 'python3.11')} is PyPy 3.11.0; ${path.join(dir, 'python3')} is CPython 3.9.18; DB12's figures are CPython 3.11's`,
    });
    fakePython('python3.11', 'CPython 3.11.9', 'exit 1');
    expect(await findReferencePython('auto', { PATH: dir })).toEqual({ python: { path: path.join(dir, 'python3.11'), version: '3.11.9' } });
  });

  it('auto: nothing on PATH (relative entries are not searched), an explicit path must be absolute', async () => {
    mkdirSync(path.join(dir, 'rel'));
    expect(await findReferencePython('auto', { PATH: `rel:${path.join(dir, 'empty')}` })).toEqual({
      refused: 'no python3.11 or python3 on PATH',
    });
    expect(await findReferencePython('bin/python3', {})).toEqual({
      refused: '--db12-python must be an absolute path, auto or none, got "bin/python3"',
    });
  });

  it('an interpreter that answers nonsense, fails or hangs is named with why', async () => {
    const chatty = fakePython('chatty', 'Python, probably', 'exit 1');
    expect(await findReferencePython(chatty, {})).toEqual({
      refused: `${chatty}: answered "Python, probably" instead of its version; DB12's figures are CPython 3.11's`,
    });
    const broken = path.join(dir, 'broken');
    writeFileSync(broken, '#!/bin/sh\necho "ModuleNotFoundError: No module named platform" >&2\nexit 1\n');
    chmodSync(broken, 0o755);
    expect(await findReferencePython(broken, {})).toEqual({
      refused: `${broken}: ModuleNotFoundError: No module named platform; DB12's figures are CPython 3.11's`,
    });
  });
});

describe('measureCpuPowerWithPython against stand-in interpreters', () => {
  it("takes DB12's NORM as it comes (k = 1): 40 k draws per chunk in 0.016 s of CPU is NORM 50", async () => {
    const python = { path: fakePython('py', 'CPython 3.11.9', goodReply(0.016, 0.017)), version: '3.11.9' };
    const result = await measureCpuPowerWithPython({ copies: 2, logger, cpu, python, shape: SMALL_PYTHON });
    expect(result).toMatchObject({ engine: 'cpython', interpreter: python, power: 50, raw: [50, 50], calibration: CPYTHON_CALIBRATION });
    expect(result.uncalibratedNorm).toEqual(result.raw);
    expect(result.clock).toBe('process_time');
  });

  it('refuses, with a one-line reason, replies that cannot be a measurement', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['garbage', 'echo "Segmentation fault"', /replied something other than one JSON object: "Segmentation fault"/],
      ['traceback', 'echo "Traceback (most recent call last):" >&2; echo "MemoryError" >&2; exit 1', /: MemoryError$/],
      [
        'no-draws',
        `echo '${JSON.stringify({ implementation: 'CPython', version: '3.11.9', chunkCpu: [0.01], chunkWall: [0.01], mean: 0, variance: 0 })}'`,
        /unusable reply \(mean: /,
      ],
      ['clock', goodReply(0.5, 0.1), /fewer than 3 usable chunks \(5 of 5 dropped\): the CPU clock is not usable/],
      [
        'other-version',
        `echo '${JSON.stringify({ implementation: 'CPython', version: '3.12.1', chunkCpu: [0.01], chunkWall: [0.01], mean: 10, variance: 1 })}'`,
        /ran as CPython 3\.12\.1, not 3\.11/,
      ],
    ];
    for (const [name, script, reason] of cases) {
      const python = { path: fakePython(name, 'CPython 3.11.9', script), version: '3.11.9' };
      const attempt = measureCpuPowerWithPython({ copies: 1, logger, cpu, python, shape: SMALL_PYTHON });
      await expect(attempt, name).rejects.toThrow(reason);
      await attempt.catch((error: Error) => expect(error.message, name).not.toContain('\n'));
    }
  });

  it('a copy that hangs is stopped at the timeout, and its process does not outlive the measurement', async () => {
    const pidFile = path.join(dir, 'pid');
    const python = { path: fakePython('hang', 'CPython 3.11.9', `echo $$ > ${pidFile}; exec sleep 600`), version: '3.11.9' };
    await expect(measureCpuPowerWithPython({ copies: 1, logger, cpu, python, shape: SMALL_PYTHON, timeoutMs: 500 })).rejects.toThrow(
      /a copy did not finish within 1 s/,
    );
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('the stop signal ends a measurement at once, kills its interpreter, and is not a reason to measure another way', async () => {
    const pidFile = path.join(dir, 'pid');
    const hang = fakePython('python3.11', 'CPython 3.11.9', `echo $$ > ${pidFile}; exec sleep 600`);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    const attempt = resolveCpuPower({
      source: 'db12',
      copies: 1,
      logger,
      cpu,
      shape: SMALL_JS,
      signal: controller.signal,
      python: { choice: 'auto', env: { PATH: dir }, shape: SMALL_PYTHON },
    });
    await expect(attempt).rejects.toThrow(`DB12 (CPython ${hang}): stopped by the stop signal`);
    expect(Date.now() - started).toBeLessThan(10_000);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('the interpreter gets none of the pilot environment (its tokens and proxies)', async () => {
    const envFile = path.join(dir, 'env');
    const python = { path: fakePython('env', 'CPython 3.11.9', `env > ${envFile}; ${goodReply(0.016, 0.017)}`), version: '3.11.9' };
    process.env.DB12_TEST_SECRET = 'pilot-token';
    try {
      await measureCpuPowerWithPython({ copies: 1, logger, cpu, python, shape: SMALL_PYTHON });
    } finally {
      delete process.env.DB12_TEST_SECRET;
    }
    const env = readFileSync(envFile, 'utf8');
    expect(env).not.toContain('pilot-token');
    expect(env).toContain('LC_ALL=C.UTF-8');
  });
});

describe('resolveCpuPower with a CPython request', () => {
  it('falls back to the JavaScript port, saying why, when the interpreter fails', async () => {
    const broken = fakePython('python3.11', 'CPython 3.11.9', 'echo "Killed"');
    const result = await resolveCpuPower({
      source: 'db12',
      copies: 1,
      logger,
      cpu,
      shape: SMALL_JS,
      python: { choice: 'auto', env: { PATH: dir }, shape: SMALL_PYTHON },
    });
    expect(result.measurement?.engine).toBe('javascript');
    expect(result.detail).toMatch(/^DB12 \(JavaScript, calibration amd-family-25\), 1 copy/);
    expect(result.skipped).toEqual([`db12-python: DB12 (CPython ${broken}): replied something other than one JSON object: "Killed"`]);
  });

  it("'auto' measures under CPython after the site's sources, the cache refusal included", async () => {
    const good = fakePython('python3.11', 'CPython 3.11.9', goodReply(0.016, 0.017));
    const result = await resolveCpuPower({
      source: 'auto',
      copies: 1,
      logger,
      cpu,
      env: {},
      python: { choice: 'auto', env: { PATH: dir }, shape: SMALL_PYTHON },
    });
    expect(result).toMatchObject({ power: 50, source: 'db12', detail: `DB12 under CPython 3.11.9 (${good}), 1 copy, min of raw` });
    expect(result.skipped?.at(-1)).toBe('cache: none configured');
  });
});

// The real interpreter, where this machine has one (Debian 12's python3 is 3.11): the script runs, draws
// normal(10, 1) and reads a NORM in the range of real CPUs.
const realPython = [findExecutable('python3.11', process.env), findExecutable('python3', process.env)].find((file) => file !== null);
describe('DB12 under the real CPython 3.11', () => {
  it('measures a plausible NORM with the script the pilot ships', async (context) => {
    const found = realPython ? await findReferencePython(realPython, process.env) : { refused: 'no python3.11 or python3 on PATH' };
    if (!('python' in found)) {
      console.log(`skipped: no CPython 3.11 here (${found.refused})`);
      context.skip();
      return;
    }
    const result = await measureCpuPowerWithPython({ copies: 1, logger, python: found.python, shape: SMALL_PYTHON });
    expect(result.engine).toBe('cpython');
    expect(result.power).toBeGreaterThan(1);
    expect(result.power).toBeLessThan(250);
    expect(result.spread.chunks).toBe(5);
  });
});
