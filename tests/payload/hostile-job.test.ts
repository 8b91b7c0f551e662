/**
 * A hostile job against the pilot's files (issue 15): the JDL names paths outside its directory,
 * the running payload swaps its stdout for a symlink to the pilot's credentials or for a FIFO,
 * a containerised payload leaves a FIFO where the pilot reads its exit code. Written as an
 * attacker would: real processes, real symlinks and FIFOs, the Apptainer stand-in. Each attack
 * must reach nothing: no secret in what the pilot reads back (the heartbeat's StandardOutput),
 * no byte appended to a file outside, and the pilot's thread never blocked.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Backend, MatchedJob, StatusUpdate } from '../../src/backend/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { describeJob } from '../../src/payload/job-description.js';
import { runJob, type JobOutcome, type PayloadHandle } from '../../src/payload/job-wrapper.js';
import { SlotPool, isSlot } from '../../src/payload/slots.js';
import type { ApptainerRunnerOptions } from '../../src/payload/runner/types.js';
import { makeJobDir, QUIET_LIMITS, removeDir, runningWithTag, runPayload, testTag, waitFor } from './helpers.js';
import { buildStandinImage, STANDIN, standinUnavailable } from './standin-image.js';

const SECRET = 'eyJSECRET-ACCESS-TOKEN-of-the-pilot';
const dirs: string[] = [];
const tags: ReturnType<typeof testTag>[] = [];
afterAll(() => dirs.forEach(removeDir));
afterEach(() => {
  for (const tag of tags.splice(0)) expect(runningWithTag(tag)).toEqual([]);
});

/** A scratch directory laid out as HTCondor leaves it: the pilot's credentials beside its work directory. */
function scratch() {
  const dir = makeJobDir('hostile-');
  dirs.push(dir);
  const creds = path.join(dir, 'creds.json');
  writeFileSync(creds, `{"access_token":"${SECRET}"}\n`, { mode: 0o600 });
  return { dir, creds, work: path.join(dir, 'work') };
}

function recordingBackend() {
  const statuses: StatusUpdate[] = [];
  const backend = {
    kind: 'diracx',
    setJobStatus: async (_id: number, u: StatusUpdate) => void statuses.push(u),
    setJobMetadata: async () => undefined,
    reschedule: async () => undefined,
    heartbeat: async () => [],
    downloadSandbox: async () => {
      throw new Error('no sandbox store here');
    },
    uploadOutputSandbox: async () => 'SB:x',
  } as unknown as Backend;
  return { backend, statuses };
}

/** One job through the real job wrapper (direct runner), as a matched job would go. */
async function runHostileJob(
  work: string,
  jdl: string,
  onStarted?: (handle: PayloadHandle) => void,
): Promise<{ outcome: JobOutcome; statuses: StatusUpdate[] }> {
  const { backend, statuses } = recordingBackend();
  const job: MatchedJob = { jobId: 1, jdl, owner: 'mallory', ownerGroup: 'g', vo: 'v', credentials: null };
  const description = describeJob(jdl, job);
  const slot = new SlotPool({ processors: 1, memoryMB: 1000, gpus: [] }).acquire(description);
  if (!isSlot(slot)) throw new Error(slot.reason);
  const outcome = await runJob({
    job,
    description,
    slot,
    backend,
    workDir: work,
    site: 'S',
    runner: { kind: 'direct', reason: 'test', secretFiles: { files: [] } },
    limits: QUIET_LIMITS,
    pilotEnv: { PATH: process.env.PATH },
    logger: silentLogger(),
    native: null,
    shutdown: new AbortController().signal,
    ...(onStarted ? { onStarted: (_id: number, handle: PayloadHandle) => onStarted(handle) } : {}),
  });
  return { outcome, statuses };
}

describe('attack 1: the JDL points StdOutput/StdError out of the job directory', () => {
  for (const [field, value] of [
    ['StdOutput', '../../../creds.json'],
    ['StdError', '../../../creds.json'],
    ['StdOutput', '/etc/../CREDS'],
    ['StdOutput', 'a/../../../../creds.json'],
  ] as const) {
    it(`${field} = "${value}": the job fails (its own fault), nothing outside is written`, async () => {
      const { creds, work } = scratch();
      const before = readFileSync(creds, 'utf8');
      const absolute = value === '/etc/../CREDS' ? creds : value;
      const { outcome, statuses } = await runHostileJob(
        work,
        `[Executable = "/bin/sh"; Arguments = "-c 'echo APPENDED; echo APPENDED >&2'"; ${field} = "${absolute}";]`,
      );
      expect(outcome).toMatchObject({ status: 'Failed', failure: 'job' });
      expect(outcome.minorStatus).toMatch(new RegExp(`^Job Path Refused: ${field} ".*" (leaves the job directory|is absolute)`));
      expect(statuses.at(-1)).toMatchObject({ status: 'Failed', minorStatus: outcome.minorStatus });
      expect(readFileSync(creds, 'utf8')).toBe(before);
    });
  }

  for (const pattern of ['../../../creds.json', '/etc/passwd', '*/../../../*', '.']) {
    it(`OutputSandbox = {"${pattern}"}: refused before the payload runs, the job’s own failure`, async () => {
      const { work } = scratch();
      const { outcome } = await runHostileJob(
        work,
        `[Executable = "/bin/sh"; Arguments = "-c ': > ran'"; OutputSandbox = {"std.out", "${pattern}"};]`,
      );
      expect(outcome).toMatchObject({ status: 'Failed', failure: 'job' });
      expect(outcome.minorStatus).toMatch(
        /^Job Path Refused: OutputSandbox ".*" (leaves the job directory|is absolute|names the job directory itself)/,
      );
      expect(existsSync(path.join(outcome.jobDir, 'ran'))).toBe(false);
    });
  }

  it('StdOutput naming a directory (tmp) is the job’s failure, not the node’s', async () => {
    const { work } = scratch();
    const { outcome } = await runHostileJob(work, '[Executable = "/bin/true"; StdOutput = "tmp";]');
    expect(outcome).toMatchObject({ status: 'Failed', failure: 'job', minorStatus: 'Job Path Refused: StdOutput "tmp" names a directory' });
  });

  it('a StdOutput under a directory that does not exist is refused, not created', async () => {
    const { work } = scratch();
    const { outcome } = await runHostileJob(work, '[Executable = "/bin/true"; StdOutput = "logs/out.txt";]');
    expect(outcome).toMatchObject({ status: 'Failed', failure: 'job' });
    expect(outcome.minorStatus).toMatch(/lies in a directory that does not exist/);
  });
});

describe('attack 1b: the running payload swaps its stdout for a symlink to the pilot’s credentials', () => {
  it('the heartbeat tail reads the payload’s real stdout, never the link’s target', async () => {
    const { dir, creds } = scratch();
    const tag = testTag();
    tags.push(tag);
    const job = makeJobDir('hostile-job-');
    dirs.push(job);
    const handle = runPayload(
      job,
      ['/bin/sh', '-c', 'echo before; rm std.out; ln -s "$0" std.out; echo after; : > swapped; exec sleep 30', creds],
      { tag },
    );
    await waitFor(() => existsSync(path.join(job, 'swapped')), 10_000);
    const beat = handle.sample();
    expect(beat.StandardOutput).not.toContain(SECRET);
    expect(beat.StandardOutput).toBe('before\nafter');
    handle.kill('server');
    await handle.done;
    // After the end, the final tail is what the payload wrote; the credentials were never appended to.
    expect(handle.sample().StandardOutput).toBe('before\nafter');
    expect(readFileSync(creds, 'utf8')).toBe(`{"access_token":"${SECRET}"}\n`);
    expect(readFileSync(path.join(dir, 'creds.json'), 'utf8')).not.toContain('after');
  });

  it('a hard link of the credentials under the stdout name changes nothing either', async () => {
    const { creds } = scratch();
    const tag = testTag();
    tags.push(tag);
    const job = makeJobDir('hostile-job-');
    dirs.push(job);
    const handle = runPayload(job, ['/bin/sh', '-c', 'echo mine; rm std.out; ln "$0" std.out; : > swapped; exec sleep 30', creds], { tag });
    await waitFor(() => existsSync(path.join(job, 'swapped')), 10_000);
    expect(handle.sample().StandardOutput).toBe('mine');
    handle.kill('server');
    await handle.done;
  });

  it('an input sandbox that plants std.out as a symlink or a hard link makes the job fail, and nothing is followed', async () => {
    const { creds } = scratch();
    for (const plant of ['symlink', 'hardlink', 'fifo'] as const) {
      const job = makeJobDir('hostile-job-');
      dirs.push(job);
      if (plant === 'symlink') symlinkSync(creds, path.join(job, 'std.out'));
      else if (plant === 'hardlink') linkSync(creds, path.join(job, 'std.out'));
      else mkfifo(path.join(job, 'std.out'));
      expect(() => runPayload(job, ['/bin/echo', 'APPENDED'])).toThrow(
        plant === 'hardlink' ? /hard links/ : plant === 'fifo' ? /not a regular file/ : /symlink/,
      );
      expect(readFileSync(creds, 'utf8')).toBe(`{"access_token":"${SECRET}"}\n`);
    }
  });
});

describe('attack 2: the payload replaces its stdout by a FIFO to freeze the pilot', () => {
  it('the heartbeat returns at once; the pilot is not blocked until the payload opens the FIFO', async () => {
    const tag = testTag();
    tags.push(tag);
    const job = makeJobDir('hostile-job-');
    dirs.push(job);
    // The payload opens the FIFO for writing (which would release a reader blocked on it) only
    // after writing `late`: a pilot that blocked on the open sees `late` once it is released.
    const script = 'rm -f std.out; mkfifo std.out; : > swapped; sleep 5; : > late; exec 3> std.out; echo hold >&3; exec sleep 30';
    const handle = runPayload(job, ['/bin/sh', '-c', script], { tag });
    await waitFor(() => existsSync(path.join(job, 'swapped')), 10_000);
    const beat = handle.sample();
    expect(existsSync(path.join(job, 'late'))).toBe(false);
    expect(beat.StandardOutput).toBe('');
    handle.kill('server');
    await handle.done;
  });
});

const unavailable = standinUnavailable();
if (unavailable) console.warn(`skipping the Apptainer stand-in attacks: ${unavailable}`);

describe.skipIf(unavailable !== null)('the same attacks from inside the Apptainer runner (stand-in)', () => {
  function container() {
    const dir = makeJobDir('hostile-image-');
    dirs.push(dir);
    const image = buildStandinImage(path.join(dir, 'image'));
    const job = makeJobDir('hostile-container-job-');
    dirs.push(job);
    const runner: ApptainerRunnerOptions = {
      kind: 'apptainer',
      binary: STANDIN,
      image,
      binds: [],
      userns: true,
      nv: false,
      extraOptions: [],
      workdirBase: path.join(job, '.apptainer'),
      hostHasCvmfs: false,
    };
    return { job, runner };
  }

  it('a containerised payload that links its stdout to the host’s credentials path leaks nothing', async () => {
    const { creds } = scratch();
    const { job, runner } = container();
    const tag = testTag();
    tags.push(tag);
    // Inside the container the host path means nothing, but the pilot resolves names on the host.
    const handle = runPayload(job, ['/bin/sh', '-c', 'echo inside; rm std.out; ln -s "$0" std.out; : > swapped; exec sleep 30', creds], {
      tag,
      runner,
    });
    await waitFor(() => existsSync(path.join(job, 'swapped')), 20_000);
    const beat = handle.sample();
    expect(beat.StandardOutput).not.toContain(SECRET);
    expect(beat.StandardOutput).toBe('inside');
    handle.kill('server');
    await handle.done;
    expect(readFileSync(creds, 'utf8')).toBe(`{"access_token":"${SECRET}"}\n`);
  });

  it('a FIFO left where the pilot reads the exit code (the wrapper killed) does not block the pilot', async () => {
    const { job, runner } = container();
    const tag = testTag();
    tags.push(tag);
    // The wrapper shell is the payload's parent: killed, it never replaces the FIFO by the real code.
    const handle = runPayload(job, ['/bin/sh', '-c', 'mkfifo /home/.dirac-payload.rc; kill -9 $PPID; exit 0'], { tag, runner });
    const result = await Promise.race([
      handle.done,
      new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 60_000).unref()),
    ]);
    expect(result).not.toBe('blocked');
    if (result !== 'blocked') expect(result.exitCode).not.toBe(0);
  });
});

/** Node has no mkfifo: the coreutils tool, as an attacker would use it. */
function mkfifo(file: string): void {
  execFileSync('mkfifo', [file]);
}
