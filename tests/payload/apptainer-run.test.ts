import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ApptainerRunnerOptions } from '../../src/payload/runner/types.js';
import { isRunning, makeJobDir, removeDir, runningWithTag, runPayload, testTag, waitFor } from './helpers.js';
import { buildStandinImage, STANDIN, standinUnavailable } from './standin-image.js';

const unavailable = standinUnavailable();
if (unavailable) console.warn(`skipping Apptainer stand-in tests: ${unavailable}`);

const dirs: string[] = [];
const tags: ReturnType<typeof testTag>[] = [];
let image = '';

beforeAll(() => {
  if (unavailable) return;
  const dir = makeJobDir('standin-image-');
  dirs.push(dir);
  image = buildStandinImage(path.join(dir, 'image'));
});

afterEach(() => {
  for (const tag of tags.splice(0)) expect(runningWithTag(tag)).toEqual([]);
});

function job(runner: Partial<ApptainerRunnerOptions> = {}) {
  const dir = makeJobDir('apptainer-job-');
  const tag = testTag();
  dirs.push(dir);
  tags.push(tag);
  const options: ApptainerRunnerOptions = {
    kind: 'apptainer',
    binary: STANDIN,
    image,
    binds: [],
    userns: true,
    nv: false,
    extraOptions: [],
    workdirBase: path.join(dir, '.apptainer'),
    hostHasCvmfs: false,
    ...runner,
  };
  return { dir, tag, runner: options };
}

const read = (dir: string, file: string) => readFileSync(path.join(dir, file), 'utf8');

describe.skipIf(unavailable !== null)('Apptainer runner on the stand-in', () => {
  it('propagates the payload exit code through the rc file', async () => {
    const { dir, tag, runner } = job();
    writeFileSync(path.join(dir, 'job.sh'), '#!/bin/sh\necho "in $(pwd) as $HOME, tmp=$TMPDIR"\nexit 17\n', { mode: 0o755 });
    const result = await runPayload(dir, ['job.sh'], { tag, runner }).done;
    expect(result).toMatchObject({ exitCode: 17, killReason: null, minorStatus: 'Application Finished With Errors' });
    expect(result.containerFailure).toBeUndefined();
    expect(read(dir, 'std.out')).toBe('in /home as /home, tmp=/tmp\n');
    expect(read(dir, '.dirac-payload.rc').trim()).toBe('17');
  });

  it('isolates the payload: no host PIDs, no files outside the binds, only the whitelisted env', async () => {
    const { dir, tag, runner } = job();
    const outside = makeJobDir('outside-');
    dirs.push(outside);
    writeFileSync(path.join(outside, 'pilot-secret'), 'do not read');
    mkdirSync(path.join(outside, 'site-data'));
    writeFileSync(path.join(outside, 'site-data', 'calib.txt'), 'calibration');
    const script = [
      'ls /proc | grep -c "^[0-9]" > nprocs',
      `cat ${outside}/pilot-secret > secret 2>&1 || echo unreadable > secret`,
      'cat /data/calib.txt > data',
      '(echo x > /data/new) 2> /dev/null && echo writable > data-ro || echo read-only > data-ro',
      'env | sort > env.txt',
      'echo tmp-file > /tmp/t; ls /tmp > tmp-list',
    ].join('; ');
    const result = await runPayload(dir, ['/bin/sh', '-c', script], {
      tag: undefined,
      runner: { ...runner, binds: [`${outside}/site-data:/data:ro`] },
      env: { PATH: '/usr/bin:/bin', X509_USER_PROXY: '/home/proxy', [tag.name]: tag.value },
    }).done;
    expect(result.exitCode).toBe(0);
    expect(Number(read(dir, 'nprocs'))).toBeLessThan(10);
    expect(read(dir, 'secret')).toBe('unreadable\n');
    expect(read(dir, 'data')).toBe('calibration');
    expect(read(dir, 'data-ro')).toBe('read-only\n');
    const env = read(dir, 'env.txt');
    expect(env).toContain('X509_USER_PROXY=/home/proxy\n');
    expect(env).toContain('TMPDIR=/tmp\n');
    expect(env).toContain('HOME=/home\n');
    expect(env).not.toMatch(/^VITEST|^NODE_OPTIONS|^APPTAINER_CACHEDIR/m);
    // The container's /tmp is the work area inside the job directory, not the host's /tmp.
    expect(read(path.join(dir, '.apptainer', 'tmp'), 't')).toBe('tmp-file\n');
  });

  it('hides the pilot credentials behind a site bind that would show them; the rest of the bind stays', async () => {
    const { dir, tag, runner } = job();
    const site = makeJobDir('site-scratch-');
    dirs.push(site);
    // The usual layout: the pilot's directory, holding its proxy, inside a scratch area the site binds.
    mkdirSync(path.join(site, 'pilot-1'));
    const cred = path.join(site, 'pilot-1', 'proxy.pem');
    writeFileSync(cred, 'pilot-proxy-secret', { mode: 0o600 });
    writeFileSync(path.join(site, 'shared.txt'), 'shared');
    const script = [
      'cat /scratch/pilot-1/proxy.pem > via-bind 2>&1 || true',
      `cat ${cred} > via-host-path 2>&1 || true`,
      'ls -A /scratch/pilot-1 > masked-list',
      'cat /scratch/shared.txt > shared',
      'umount /scratch/pilot-1 > umount 2>&1; echo "rc=$?" >> umount',
      'cat /scratch/pilot-1/proxy.pem >> via-bind 2>&1 || true',
      'cat /etc/pilot-proxy 2>&1 || true',
    ].join('; ');
    const result = await runPayload(dir, ['/bin/sh', '-c', script], {
      tag,
      runner: { ...runner, binds: [`${site}:/scratch`, `${cred}:/etc/pilot-proxy`] },
      secretFiles: { files: [cred] },
    }).done;
    expect(result.exitCode, read(dir, 'std.err')).toBe(0);
    // Positive control: the file is there on the host.
    expect(readFileSync(cred, 'utf8')).toBe('pilot-proxy-secret');
    const viaBind = read(dir, 'via-bind').split('\n');
    expect(viaBind[0]).toMatch(/No such file/);
    expect(read(dir, 'via-host-path')).not.toContain('pilot-proxy-secret');
    expect(read(dir, 'masked-list')).toBe('');
    expect(read(dir, 'shared')).toBe('shared');
    // The bind of the proxy file itself was dropped.
    expect(read(dir, 'std.out')).toMatch(/pilot-proxy: No such file/);
    expect(read(dir, 'std.out')).not.toContain('pilot-proxy-secret');
    // Apptainer gives the payload no capabilities, so it cannot unmount the mask; bubblewrap started
    // by root keeps root's, so the stand-in can only show this when the suite is not root.
    if (process.getuid?.() !== 0) {
      expect(read(dir, 'umount')).toMatch(/rc=[1-9]/);
      expect(read(dir, 'via-bind')).not.toContain('pilot-proxy-secret');
    } else
      console.log(
        'stand-in as root keeps capabilities: the umount refusal is not checked here (tests/payload/hide-secrets.test.ts checks it for the direct runner)',
      );
  });

  it('leaves nothing running after a containerised payload double-forks a daemon', async () => {
    const { dir, tag, runner } = job();
    const script = "( setsid sh -c 'sleep 300 & echo $! > daemon.pid; wait' & ); while [ ! -s daemon.pid ]; do sleep 0.05; done; exit 0";
    const result = await runPayload(dir, ['/bin/sh', '-c', script], { tag, runner }).done;
    expect(result.exitCode).toBe(0);
    expect(runningWithTag(tag)).toEqual([]);
  });

  it("kill('server') ends the container and everything in it", async () => {
    const { dir, tag, runner } = job();
    const handle = runPayload(dir, ['/bin/sh', '-c', 'echo ready > ready; sleep 300 & sleep 300'], { tag, runner });
    await waitFor(() => existsSync(path.join(dir, 'ready')));
    expect(isRunning(handle.pid)).toBe(true);
    handle.kill('server');
    const result = await handle.done;
    expect(result).toMatchObject({ killReason: 'server', minorStatus: 'Received Kill signal', exitCode: null });
    expect(result.containerFailure).toBeUndefined();
  });

  it('a missing image is a container failure, with the diagnostic re-run captured', async () => {
    const { dir, tag, runner } = job({ image: '/nonexistent/images/alma9.sif' });
    // A code left by an earlier run must not pass for this one's.
    writeFileSync(path.join(dir, '.dirac-payload.rc'), '0\n');
    const result = await runPayload(dir, ['/bin/true'], { tag, runner }).done;
    expect(result.containerFailure).toMatchObject({ pattern: 'image-not-found', minorStatus: 'Container failed: image not found' });
    expect(result.minorStatus).toBe('Container failed: image not found');
    expect(result.containerFailure?.diagnostics).toContain('diagnostic container failed');
    expect(result.containerFailure?.diagnostics).toContain('could not open image /nonexistent/images/alma9.sif');
  });

  it('a bad site bind is a container failure', async () => {
    const { dir, tag, runner } = job({ binds: ['/nonexistent-site-area:/data'] });
    const result = await runPayload(dir, ['/bin/true'], { tag, runner }).done;
    expect(result.containerFailure?.pattern).toBe('bind');
  });

  it('a runtime refusing user namespaces is reported as such, and the re-run says so too', async () => {
    const { dir, tag, runner } = job();
    // A runtime on a node with user namespaces disabled: what Apptainer prints there.
    const broken = path.join(dir, 'apptainer-no-userns');
    writeFileSync(
      broken,
      '#!/bin/sh\necho "FATAL:   container creation failed: Failed to create user namespace: user namespace disabled" >&2\nexit 255\n',
      { mode: 0o755 },
    );
    const result = await runPayload(dir, ['/bin/true'], { tag, runner: { ...runner, binary: broken } }).done;
    expect(result).toMatchObject({ exitCode: 255, minorStatus: 'Container failed: user namespaces unavailable' });
    expect(result.containerFailure?.diagnostics).toContain('Failed to create user namespace');
  });

  it('the stand-in answers the node check: --version and exec … echo ok', async () => {
    const { execa } = await import('execa');
    expect((await execa(STANDIN, ['--version'], { timeout: 10_000 })).stdout).toBe('apptainer version 1.3.4-standin');
    const ok = await execa(STANDIN, ['exec', '--contain', image, 'echo', 'ok'], { timeout: 10_000 });
    expect(ok.stdout).toBe('ok');
    const bad = await execa(STANDIN, ['exec', '--no-such-flag', image, 'true'], { timeout: 10_000, reject: false });
    expect(bad.exitCode).toBe(255);
    expect(bad.stderr).toBe('Error: unknown flag: --no-such-flag');
  });
});

afterAll(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});
