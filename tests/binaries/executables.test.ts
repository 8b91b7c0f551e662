import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa, execaSync } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../src/core/find-executable.js';
import { aarch64Sysroot, buildExecutables, executablePath, qemuAarch64, toolchainMissing } from './build-executables.js';

const skipReason = toolchainMissing();
if (skipReason) console.warn(`tests/binaries skipped: ${skipReason}`);

let installDir = '';

/** Runs an installed executable as a batch slot would: empty environment, no Node, no HOME. */
function runInstalled(arch: 'x64' | 'arm64', args: string[]) {
  const exe = path.join(installDir, `pilot-linux-${arch}`);
  const [file, argv] = arch === 'x64' ? [exe, args] : [qemuAarch64, ['-L', aarch64Sysroot, exe, ...args]];
  return execa(file, argv, {
    cwd: installDir,
    env: {},
    extendEnv: false,
    reject: false,
    timeout: arch === 'x64' ? 60_000 : 240_000,
  });
}

describe.skipIf(skipReason)('standalone executables', () => {
  beforeAll(async () => {
    await buildExecutables();
    // A read-only copy of the install directory, as on a shared software area.
    installDir = mkdtempSync(path.join(tmpdir(), 'pilot-install-'));
    for (const arch of ['x64', 'arm64'] as const) {
      cpSync(executablePath(arch), path.join(installDir, `pilot-linux-${arch}`));
    }
    execaSyncChmod(installDir);
  }, 900_000);

  afterAll(() => {
    if (installDir) {
      execaSyncChmod(installDir, 'u+w');
      rmSync(installDir, { recursive: true, force: true });
    }
  });

  describe.each([
    ['x64', 'x64', 'x86_64'],
    ['arm64', 'arm64', 'aarch64'],
  ] as const)('pilot-linux-%s', (arch, nodeArch, unameArch) => {
    it('`version` names the embedded Node, the architecture and the addon from the SEA asset', async () => {
      const result = await runInstalled(arch, ['version']);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('node: v22.23.3');
      expect(result.stdout).toContain(`platform: linux-${nodeArch}`);
      expect(result.stdout).toContain('executable: standalone (Node SEA)');
      expect(result.stdout).toContain('native addon: loaded (sea-asset)');
      // The lite bundle's code cache, made at build time by this architecture's own Node, is used:
      // 'rejected' would mean a start-up that compiles from source (bench/results.md, probe rows).
      expect(result.stdout).toContain('bundle: pilot-lite, code cache accepted');
      // The addon was unpacked to a private directory and removed at once.
      expect(readdirSync(installDir).sort()).toEqual(['pilot-linux-arm64', 'pilot-linux-x64']);
    }, 300_000);

    it('a main-bundle command runs from the same executable (no code cache for that bundle)', async () => {
      const result = await runInstalled(arch, [
        'timeleft',
        '--json',
        '--CPUTime',
        '3600',
        '--cpu-power-source',
        'config',
        '--cpu-power',
        '10',
      ]);
      expect(result.stderr).toBe('');
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ timeLeft: expect.any(Object) });
    }, 300_000);

    it('`probe --json` prints one JSON document describing this node', async () => {
      const result = await runInstalled(arch, ['probe', '--json']);
      expect(result.exitCode).toBe(0);
      const probe = JSON.parse(result.stdout) as { cpu?: { logicalCpus?: unknown }; platform?: unknown };
      expect(probe.cpu?.logicalCpus).toBeGreaterThan(0);
      // qemu-user shows the emulated program the HOST's /proc/cpuinfo, which the probe trusts
      // for a live node, so under emulation the arm64 executable reports the host's arch.
      const expectedArch = arch === 'arm64' ? `(${unameArch}|x86_64)` : unameArch;
      expect(probe.platform).toMatch(new RegExp(`^Linux_${expectedArch}_glibc-\\d+\\.\\d+$`));
    }, 300_000);
  });

  it('pilot-linux-x64 `benchmark --json` measures DB12 under the node CPython 3.11 when PATH has one', async (ctx) => {
    const python = findExecutable('python3.11', process.env) ?? findExecutable('python3', process.env);
    const version = python ? execaSync(python, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])']).stdout.trim() : '';
    if (version !== '3.11') {
      console.log(`skipped: no CPython 3.11 on this machine's PATH (${python ?? 'no python3'} ${version})`);
      ctx.skip();
      return;
    }
    const exe = path.join(installDir, 'pilot-linux-x64');
    const result = await execa(exe, ['benchmark', '--json', '-P', '1'], {
      cwd: installDir,
      env: { PATH: path.dirname(python as string) },
      extendEnv: false,
      reject: false,
      timeout: 120_000,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { source: string; detail: string; db12?: { engine: string; power: number } };
    expect(report.source).toBe('db12');
    expect(report.db12?.engine).toBe('cpython');
    expect(report.detail).toMatch(/^DB12 under CPython 3\.11\.\d+ \(/);
  }, 300_000);
});

describe.skipIf(skipReason)('pilot-linux-x64 on a noexec work directory', () => {
  beforeAll(async () => buildExecutables(), 900_000);

  /** Runs `script` as root of a fresh user+mount namespace, where mounting a tmpfs is allowed. */
  async function inMountNamespace(script: string, args: string[]) {
    return execa('unshare', ['-rm', 'sh', '-c', script, 'sh', ...args], { reject: false, timeout: 60_000 });
  }

  it('unpacks the addon in the next candidate directory, or says why it could not', async (ctx) => {
    const probe = await inMountNamespace('mount -t tmpfs -o noexec none "$1"', [tmpdir()]);
    if (probe.exitCode !== 0) {
      console.warn(`noexec test skipped: cannot mount a tmpfs in a user namespace here: ${probe.stderr.trim()}`);
      ctx.skip();
    }
    const scratch = mkdtempSync(path.join(tmpdir(), 'pilot-noexec-'));
    try {
      const noexec = path.join(scratch, 'noexec');
      const cwd = path.join(scratch, 'cwd');
      execaSync('mkdir', [noexec, cwd]);
      const script = 'mount -t tmpfs -o noexec none "$1" && cd "$2" && TMPDIR="$1" "$3" version --work-dir "$1"';
      // The work directory is noexec but the current directory is not: loaded from the asset anyway.
      const fallback = await inMountNamespace(script, [noexec, cwd, executablePath('x64')]);
      expect(fallback.stdout).toContain('native addon: loaded (sea-asset)');
      expect(readdirSync(cwd)).toEqual([]);
      // Every candidate noexec: not loaded, and the reason names the mapping failure.
      const nowhere = await inMountNamespace(script, [noexec, noexec, executablePath('x64')]);
      expect(nowhere.exitCode).toBe(0);
      expect(nowhere.stdout).toMatch(
        /native addon: not loaded: sea asset: could not load asset native-linux-x64\.node: .*failed to map segment/,
      );
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }, 120_000);
});

function execaSyncChmod(dir: string, mode = 'a-w'): void {
  execaSync('chmod', ['-R', mode, dir], { timeout: 10_000 });
}
