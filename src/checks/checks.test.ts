import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../core/exit-codes.js';
import { probeNode } from '../probes/index.js';
import { nodeCapture } from '../probes/test-fixtures.js';
import { checkClock } from './clock.js';
import { checkContainer } from './container.js';
import { checkCvmfs } from './cvmfs.js';
import { checkTmp, checkTmpDirs, checkWorkDir, mountOptionsFor } from './disk-space.js';
import { checkGpus } from './gpus.js';
import { formatCheckReport, guarded, runNodeChecks, summarise } from './index.js';
import { checkTimeLeft } from './time-left.js';
import { result } from './types.js';
import { checkUserNamespaces } from './user-namespaces.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pilot-checks-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in for apptainer: a shell script whose behaviour the test chooses. */
async function standIn(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

describe('container check', () => {
  it('passes when the container prints the token it was given', async () => {
    // Echo the last argument, as `apptainer exec IMAGE /bin/echo TOKEN` would; insist on exec and the image.
    const good = await standIn(
      'apptainer-good',
      '[ "$1" = exec ] || exit 3\ncase " $* " in *" /cvmfs/cernvm-prod.cern.ch/cvm4 /bin/echo "*) ;; *) exit 4;; esac\nfor last; do :; done\necho "$last"',
    );
    const check = await checkContainer({ runtime: good });
    expect(check).toMatchObject({ name: 'container', status: 'pass', exitCode: 0 });
  });
  it('fails on exit 0 with the wrong output', async () => {
    const liar = await standIn('apptainer-liar', 'echo "All okay"; exit 0');
    const check = await checkContainer({ runtime: liar });
    expect(check).toMatchObject({ status: 'fail', exitCode: ExitCode.CONTAINER });
    expect(check.detail).toMatch(/exited 0 but printed "All okay" instead of the test token/);
  });
  it('explains known runtime errors', async () => {
    const broken = await standIn('apptainer-userns', 'echo "FATAL:   Failed to create user namespace: permission denied" >&2; exit 255');
    const check = await checkContainer({ runtime: broken, userNamespaces: true });
    expect(check.status).toBe('fail');
    expect(check.detail).toMatch(/exited with 255: user namespaces are disabled/);
  });
  it('times out a hanging runtime', async () => {
    const hang = await standIn('apptainer-hang', 'exec sleep 30');
    const check = await checkContainer({ runtime: hang, timeoutMs: 300 });
    expect(check).toMatchObject({ status: 'fail', exitCode: ExitCode.CONTAINER });
    expect(check.detail).toMatch(/did not finish within 300 ms/);
  });
  it('no runtime: fail when required, skip when payloads may run directly', async () => {
    expect((await checkContainer({ runtime: null })).status).toBe('fail');
    expect((await checkContainer({ runtime: null, required: false })).status).toBe('skip');
    expect((await checkContainer({ runtime: path.join(dir, 'absent') })).detail).toMatch(/could not be run: ENOENT/);
  });
  it('no runtime, and part of the search did not answer: the check says where it could not look', async () => {
    const check = await checkContainer({
      runtime: null,
      searchWarnings: ['/stuck/bin did not answer within 3000 ms (stuck mount?); apptainer was not looked for there'],
    });
    expect(check).toMatchObject({ status: 'fail', exitCode: ExitCode.CONTAINER });
    expect(check.detail).toBe(
      'no apptainer or singularity found on PATH or in /cvmfs/oasis.opensciencegrid.org (/stuck/bin did not answer within 3000 ms (stuck mount?); apptainer was not looked for there)',
    );
  });
});

describe('disk, /tmp and CVMFS checks', () => {
  it('work dir: writable and above the minimum, else WORKDIR', async () => {
    expect(await checkWorkDir(dir, 1)).toMatchObject({ status: 'pass', exitCode: 0 });
    const tooSmall = await checkWorkDir(dir, 1e12);
    expect(tooSmall).toMatchObject({ status: 'fail', exitCode: ExitCode.WORKDIR });
    expect(tooSmall.detail).toMatch(/below the minimum of 1000000000000 MB/);
    // A missing one is what run and exec create: checked where they would create it (one documented behaviour).
    expect(await checkWorkDir(path.join(dir, 'missing', 'deeper'), 1)).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/does not exist yet \(run and exec create it\)/),
    });
    expect(existsSync(path.join(dir, 'missing'))).toBe(false);
  });

  it('work dir: a missing one that could not be created fails WORKDIR', async () => {
    const locked = path.join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    try {
      const asRoot = process.getuid?.() === 0;
      const verdict = await checkWorkDir(path.join(locked, 'pilot'), 1);
      // root writes anywhere: there the ancestor is usable.
      expect(verdict.status).toBe(asRoot ? 'pass' : 'fail');
    } finally {
      chmodSync(locked, 0o700);
    }
  });

  it('work dir: the mount options come from mountinfo (longest mount point, escapes decoded)', () => {
    const mountinfo = [
      '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
      '40 22 0:35 / /scratch\\040space rw,nosuid,nodev,noexec,relatime shared:2 - tmpfs tmpfs rw',
      '41 22 0:36 / /scratch rw,relatime shared:3 - tmpfs tmpfs rw',
    ].join('\n');
    expect(mountOptionsFor(mountinfo, '/scratch space/pilot')).toContain('noexec');
    expect(mountOptionsFor(mountinfo, '/scratch/pilot')).not.toContain('noexec');
    expect(mountOptionsFor(mountinfo, '/home/x')).toEqual(['rw', 'relatime']);
    expect(mountOptionsFor('', '/x')).toBeNull();
  });

  it('work dir: a noexec mount fails WORKDIR (scripts there would fail with 126)', async (context) => {
    const mountPoint = path.join(dir, 'noexec');
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'noexec,size=64m', 'tmpfs', mountPoint], { stdio: 'pipe', timeout: 10_000 });
    } catch (error) {
      console.log(`skipped: cannot mount a noexec tmpfs here (${(error as Error).message.split('\n')[0]})`);
      context.skip();
      return;
    }
    try {
      expect(await checkWorkDir(mountPoint, 1)).toMatchObject({
        status: 'fail',
        exitCode: ExitCode.WORKDIR,
        detail: expect.stringMatching(/noexec mount/),
      });
      expect(await checkWorkDir(path.join(mountPoint, 'not-yet'), 1)).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/noexec mount/),
      });
    } finally {
      execFileSync('umount', [mountPoint], { stdio: 'pipe', timeout: 10_000 });
    }
  });
  it('/tmp: TMP when unusable', async () => {
    expect((await checkTmp(dir)).status).toBe('pass');
    expect(await checkTmp(path.join(dir, 'no-tmp'))).toMatchObject({ status: 'fail', exitCode: ExitCode.TMP });
    // $TMPDIR counts too: a good /tmp does not hide a broken TMPDIR.
    expect(await checkTmpDirs([dir, path.join(dir, 'no-tmpdir')])).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('no-tmpdir'),
    });
    expect(await checkTmpDirs([dir, dir, ''])).toMatchObject({ status: 'pass' });
  });
  it('CVMFS: every required repository mounted and non-empty', async () => {
    const cvmfs = path.join(dir, 'cvmfs');
    await mkdir(path.join(cvmfs, 'lhcb.cern.ch'), { recursive: true });
    await writeFile(path.join(cvmfs, 'lhcb.cern.ch', 'README'), 'x');
    await mkdir(path.join(cvmfs, 'grid.cern.ch'), { recursive: true });
    expect((await checkCvmfs(['/cvmfs/lhcb.cern.ch'], cvmfs)).status).toBe('pass');
    const failed = await checkCvmfs(['lhcb.cern.ch', 'grid.cern.ch', 'dirac.egi.eu'], cvmfs);
    expect(failed).toMatchObject({ status: 'fail', exitCode: ExitCode.CVMFS });
    expect(failed.detail).toBe(`missing or unreadable under ${cvmfs}: grid.cern.ch (empty), dirac.egi.eu (ENOENT)`);
    expect((await checkCvmfs([], cvmfs)).status).toBe('skip');
  });
});

describe('GPU, clock, time-left and user-namespace checks', () => {
  it('GPUs: the allocation must be visible', async () => {
    const h100 = nodeCapture('h100-x86_64');
    expect(checkGpus(await probeNode({ root: h100, env: { SLURM_JOB_ID: '1', SLURM_GPUS_ON_NODE: '1' } }))).toMatchObject({
      status: 'pass',
    });
    const hidden = checkGpus(
      await probeNode({ root: h100, env: { SLURM_JOB_ID: '1', SLURM_GPUS_ON_NODE: '1', CUDA_VISIBLE_DEVICES: '' } }),
    );
    expect(hidden).toMatchObject({ status: 'fail', exitCode: ExitCode.GPU, detail: '1 GPU(s) allocated but 0 visible' });
    expect(checkGpus(await probeNode({ root: h100 }), 2)).toMatchObject({ status: 'fail', detail: '2 GPU(s) allocated but 1 visible' });
    expect(checkGpus(await probeNode({ root: h100, env: { SLURM_JOB_ID: '1', SLURM_GPUS_ON_NODE: '0' } }))).toMatchObject({
      status: 'pass',
    });
    expect(checkGpus(await probeNode({ root: nodeCapture('epyc-x86_64-2core') }))).toMatchObject({ status: 'skip' });
  });
  it('clock: skew beyond the limit fails; no server or no Date header does not', async () => {
    const now = () => 1_700_000_000_000;
    expect(await checkClock(async () => new Date(now() - 1000_000), 300, now)).toMatchObject({
      status: 'fail',
      exitCode: ExitCode.CLOCK,
      detail: expect.stringMatching(/1000 s ahead of the server/),
    });
    expect(await checkClock(async () => new Date(now() + 2000), 300, now)).toMatchObject({ status: 'pass' });
    expect((await checkClock(async () => null, 300, now)).status).toBe('warn');
    expect(
      (
        await checkClock(
          async () => {
            throw new Error('ECONNREFUSED');
          },
          300,
          now,
        )
      ).status,
    ).toBe('warn');
    expect((await checkClock(undefined)).status).toBe('skip');
  });
  it('time left: below the minimum fails with TIME_LEFT', () => {
    expect(checkTimeLeft(4999)).toMatchObject({ status: 'fail', exitCode: ExitCode.TIME_LEFT });
    expect(checkTimeLeft(5000)).toMatchObject({ status: 'pass' });
    expect(checkTimeLeft(100, 50)).toMatchObject({ status: 'pass' });
    expect(checkTimeLeft(undefined)).toMatchObject({ status: 'skip' });
  });
  it('user namespaces: disabled is a warning; a failing trial too', async () => {
    expect((await checkUserNamespaces({ allowedBySysctl: false })).status).toBe('warn');
    expect((await checkUserNamespaces({ allowedBySysctl: true, unshare: null })).status).toBe('pass');
    const refusing = await standIn('unshare-refuses', 'echo "unshare: unshare failed: Operation not permitted" >&2; exit 1');
    const check = await checkUserNamespaces({ allowedBySysctl: true, unshare: refusing });
    expect(check).toMatchObject({ status: 'warn', detail: expect.stringMatching(/Operation not permitted/) });
  });
});

describe('the report', () => {
  it('exit code: the first failed class in table order; 0 when nothing failed', () => {
    expect(summarise([result('workdir', 'pass', '', ExitCode.WORKDIR), result('tmp', 'warn', '', ExitCode.TMP)])).toMatchObject({
      verdict: 'warn',
      exitCode: 0,
    });
    const report = summarise([
      result('workdir', 'pass', '', ExitCode.WORKDIR),
      result('cvmfs', 'fail', '', ExitCode.CVMFS),
      result('gpus', 'fail', '', ExitCode.GPU),
    ]);
    expect(report).toMatchObject({ verdict: 'fail', exitCode: ExitCode.CVMFS });
  });
  it('runNodeChecks runs every check, in order, and formats a table', async () => {
    const liar = await standIn('apptainer-liar2', 'echo wrong');
    const probe = await probeNode({ root: nodeCapture('h100-x86_64'), workDir: dir, env: { SLURM_JOB_ID: '5', SLURM_GPUS_ON_NODE: '2' } });
    const report = await runNodeChecks({
      workDir: dir,
      minDiskMB: 1,
      tmpDir: dir,
      probe,
      container: { runtime: liar },
      serverTime: async () => new Date(),
      timeLeft: 100,
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(report.checks.map((check) => check.name)).toEqual([
      'workdir',
      'tmp',
      'cvmfs',
      'container',
      'user-namespaces',
      'gpus',
      'clock',
      'time-left',
    ]);
    expect(report.checks.map((check) => check.status)).toEqual([
      'pass',
      'pass',
      'skip',
      'fail',
      expect.stringMatching(/pass|warn/),
      'fail',
      'pass',
      'fail',
    ]);
    expect(report.exitCode).toBe(ExitCode.CONTAINER);
    const table = formatCheckReport(report);
    expect(table).toMatch(/^container +FAIL +.* \[exit 14\]$/m);
    expect(table).toMatch(/^verdict: FAIL \(exit code 14\)$/m);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
  it('a check that throws is reported as NODE_CHECK, not a crash', async () => {
    const check = await guarded('cvmfs', () => {
      throw new TypeError('x is undefined');
    });
    expect(check).toEqual({
      name: 'cvmfs',
      status: 'fail',
      detail: 'the check itself failed: x is undefined',
      exitCode: ExitCode.NODE_CHECK,
    });
    expect(summarise([check]).exitCode).toBe(ExitCode.NODE_CHECK);
  });
  it('a check that never answers fails its class at the deadline', async () => {
    const check = await guarded('cvmfs', () => new Promise<never>(() => undefined), ExitCode.CVMFS, 50);
    expect(check).toEqual({ name: 'cvmfs', status: 'fail', detail: 'no answer within 0 s', exitCode: ExitCode.CVMFS });
  });
  it('a server time reader that throws gives a clock warning', async () => {
    const report = await runNodeChecks({
      workDir: dir,
      minDiskMB: 1,
      tmpDir: dir,
      probe: await probeNode({ root: nodeCapture('epyc-x86_64-2core'), workDir: dir }),
      container: { runtime: null, required: false },
      serverTime: () => {
        throw new Error('boom');
      },
      env: {},
    });
    // The throw happens inside checkClock's guarded call: a warning about the server, not a failure.
    expect(report.checks.find((check) => check.name === 'clock')?.status).toBe('warn');
    expect(report.exitCode).toBe(0);
  });
});
