import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, StatusUpdate } from '../backend/types.js';
import { silentLogger } from '../core/logger.js';
import { runJobAgent, type JobAgentRules } from './job-agent.js';
import { SlotPool } from '../payload/slots.js';
import { tempDir } from '../../tests/support/temp-dir.js';
import { matchedJob, replyingBackend } from '../../tests/support/replying-backend.js';

/** A backend with a queue of jobs and a record of what the agent told it. */
function fakeBackend(jdls: string[], refuse: (update: StatusUpdate) => boolean = () => false) {
  const queue = jdls.map((jdl, i) => matchedJob(i + 1, jdl));
  const statuses: [number, StatusUpdate][] = [];
  const metadata: [number, Record<string, string | number>][] = [];
  let matches = 0;
  const backend = {
    kind: 'diracx',
    match: async () => {
      matches++;
      const job = queue.shift();
      return job ? [job] : [];
    },
    setJobStatus: async (id: number, u: StatusUpdate) => {
      if (refuse(u)) throw new Error('JobStateUpdate.setJobStatusBulk: refused');
      statuses.push([id, u]);
    },
    setJobMetadata: async (id: number, values: Record<string, string | number>) => void metadata.push([id, values]),
    reschedule: async () => undefined,
    heartbeat: async () => [],
    downloadSandbox: async () => {
      throw new Error('sandbox store unreachable');
    },
    uploadOutputSandbox: async () => 'SB:x',
  } as unknown as Backend;
  return {
    backend,
    statuses,
    metadata,
    matches: () => matches,
    finals: () => statuses.filter(([, u]) => u.status === 'Done' || u.status === 'Failed').map(([id, u]) => [id, u.status]),
  };
}

function rules(overrides: Partial<JobAgentRules> = {}): JobAgentRules {
  return {
    maxCycles: 100,
    pollingTimeSeconds: 0.01,
    stopOnApplicationFailure: false,
    stopAfterFailedMatches: 1,
    fillingMode: true,
    minimumTimeLeft: 0,
    drainFile: '/nonexistent/drain',
    blackHoleThreshold: 3,
    heartbeatSeconds: 60,
    deadline: null,
    shutdownGraceMs: 5000,
    ...overrides,
  };
}

function agent(
  backend: Backend,
  r: JobAgentRules,
  extra: { workLeft?: () => number; shutdown?: AbortSignal; processors?: number; agentReports?: boolean } = {},
) {
  const workDir = tempDir('agent-');
  return runJobAgent({
    backend,
    pool: new SlotPool({ processors: extra.processors ?? 2, memoryMB: 1000, gpus: [] }),
    rules: r,
    pilotStamp: 's',
    vo: 'v',
    describeFree: () => ({ resources: {} as never, node: {} }),
    cpuWorkLeft: extra.workLeft ?? (() => 1e9),
    job: {
      workDir,
      site: 'S',
      runner: { kind: 'direct', reason: 'test', secretFiles: { files: [] } },
      limits: () => ({ sampleIntervalMs: 200, killGraceMs: 200, stalled: null, loopingSeconds: null }),
      pilotEnv: { PATH: process.env.PATH },
      native: null,
    },
    logger: silentLogger(),
    shutdown: extra.shutdown ?? new AbortController().signal,
    ...(extra.agentReports !== undefined ? { agentReports: extra.agentReports } : {}),
  });
}

const ok = '[Executable = "/bin/true";]';
const fails = '[Executable = "/bin/false";]';
const needsSandbox = '[Executable = "/bin/true"; InputSandbox = {"SB:SandboxSE|/S3/b/v/g/o/sha256:00.tar.zst"};]';

describe('job agent stop rules', () => {
  it('runs every job to a final status and stops after the failed matches', async () => {
    const fake = fakeBackend([ok, fails, ok]);
    const report = await agent(fake.backend, rules());
    expect(report.stopReason).toBe('no-match');
    expect(fake.finals().sort()).toEqual([
      [1, 'Done'],
      [2, 'Failed'],
      [3, 'Done'],
    ]);
  });

  it('stops after an application failure when StopOnApplicationFailure is set, still reporting it', async () => {
    const fake = fakeBackend([fails, ok, ok, ok]);
    const report = await agent(fake.backend, rules({ stopOnApplicationFailure: true, maxCycles: 1 }));
    expect(report.outcomes.map((o) => o.status)).toEqual(['Failed']);
    expect(['application-failure', 'max-cycles']).toContain(report.stopReason);
  });

  it('black-hole protection: stops after N node failures in a row and says why', async () => {
    const fake = fakeBackend([needsSandbox, needsSandbox, needsSandbox, ok, ok]);
    const report = await agent(fake.backend, rules({ blackHoleThreshold: 3 }), { processors: 1 });
    expect(report.stopReason).toBe('black-hole');
    expect(report.detail).toMatch(/3 jobs in a row failed for node reasons, last: Input Sandbox Download Failed/);
    // DIRAC's JobWrapper gives a job whose input sandbox could not be downloaded back to the queue.
    expect(report.counts).toEqual({ Rescheduled: 3 });
  });

  it('a payload failure is not a node failure: the streak resets', async () => {
    const fake = fakeBackend([needsSandbox, needsSandbox, fails, needsSandbox, needsSandbox, ok]);
    // One slot, so jobs end in the order they were matched.
    const report = await agent(fake.backend, rules({ blackHoleThreshold: 3, maxCycles: 6 }), { processors: 1 });
    expect(report.stopReason).not.toBe('black-hole');
    expect(report.outcomes).toHaveLength(6);
  });

  it('a job’s own mistakes never count toward black-hole protection, however many in a row (issue 15)', async () => {
    const lfn = '[Executable = "/bin/true"; InputSandbox = {"LFN:/vo/user/input.dat"};]';
    const dirOut = '[Executable = "/bin/true"; StdOutput = "tmp";]';
    const escape = '[Executable = "/bin/true"; StdError = "../../../../creds.json";]';
    const fake = fakeBackend([lfn, dirOut, escape, lfn, dirOut, escape, ok]);
    const report = await agent(fake.backend, rules({ blackHoleThreshold: 3, maxCycles: 7 }), { processors: 1 });
    expect(report.stopReason).not.toBe('black-hole');
    expect(report.outcomes.map((o) => o.failure)).toEqual(['job', 'job', 'job', 'job', 'job', 'job', null]);
    expect(fake.finals().at(-1)).toEqual([7, 'Done']);
  });

  it('a job’s own mistake does not hide a streak of node failures either', async () => {
    const lfn = '[Executable = "/bin/true"; InputSandbox = {"LFN:/vo/user/input.dat"};]';
    const fake = fakeBackend([needsSandbox, lfn, needsSandbox, lfn, needsSandbox, ok]);
    const report = await agent(fake.backend, rules({ blackHoleThreshold: 3 }), { processors: 1 });
    expect(report.stopReason).toBe('black-hole');
  });

  it('counts every job by final status, and keeps only the most recent outcomes (a pilot runs for days)', async () => {
    const fake = fakeBackend([ok, fails, ok, ok, fails]);
    const report = await agent(fake.backend, rules({ recentOutcomes: 3 }), { processors: 1 });
    expect(report.counts).toEqual({ Done: 3, Failed: 2 });
    expect(report.outcomes.map((o) => o.jobId)).toEqual([3, 4, 5]);
  });

  it('stops at the drain file before matching', async () => {
    const drain = path.join(tempDir(), 'dirac_drain');
    writeFileSync(drain, '');
    const fake = fakeBackend([ok]);
    const report = await agent(fake.backend, rules({ drainFile: drain }));
    expect(report.stopReason).toBe('drain');
    expect(fake.matches()).toBe(0);
  });

  it('stops when CPU work left falls below MinimumTimeLeft', async () => {
    const fake = fakeBackend([ok, ok]);
    const report = await agent(fake.backend, rules({ minimumTimeLeft: 5000 }), { workLeft: () => 4999 });
    expect(report.stopReason).toBe('time-left');
    expect(fake.matches()).toBe(0);
  });

  it('stops at MaxCycles', async () => {
    const fake = fakeBackend([ok, ok, ok, ok]);
    const report = await agent(fake.backend, rules({ maxCycles: 2 }));
    expect(report.stopReason).toBe('max-cycles');
    expect(report.outcomes).toHaveLength(2);
  });

  it('refuses a job whose description is invalid, reporting it Failed, and goes on', async () => {
    const fake = fakeBackend(['[Arguments = "no executable";]', ok]);
    const report = await agent(fake.backend, rules());
    expect(fake.finals().sort()).toEqual([
      [1, 'Failed'],
      [2, 'Done'],
    ]);
    expect(report.outcomes.find((o) => o.jobId === 1)?.minorStatus).toMatch(/Job description invalid: Executable is missing/);
  });
});

/** What the server heard about one job, as [status or '', minor status, source]. */
const historyOf = (statuses: [number, StatusUpdate][], jobId: number) =>
  statuses.filter(([id]) => id === jobId).map(([, u]) => [u.status ?? '', u.minorStatus ?? '', u.source]);

describe("DIRAC JobAgent's own reports for a matched job", () => {
  it('minor statuses only, from JobAgent@<site>, before the wrapper’s first report; MatcherServiceTime as str(float)', async () => {
    const fake = fakeBackend([ok]);
    await agent(fake.backend, rules());
    expect(historyOf(fake.statuses, 1)).toEqual([
      ['', 'Job Received by Agent', 'JobAgent@S'],
      ['', 'Installing Software', 'JobAgent@S'],
      ['', 'Submitting To CE', 'JobAgent@S'],
      ['Running', 'Job Initialization', 'JobWrapper'],
      ['', 'Application', 'JobWrapper'],
      ['Completing', 'Application Finished Successfully', 'JobWrapper'],
      ['Done', 'Execution Complete', 'JobWrapper'],
    ]);
    // DIRAC's JobAgent queues the first two (sendFlag=False) and sends them with Submitting To CE.
    expect(fake.statuses.filter(([, u]) => u.source === 'JobAgent@S').map(([, u]) => u.sendWithNext ?? false)).toEqual([true, true, false]);
    const matcherTime = fake.metadata.find(([id, values]) => id === 1 && 'MatcherServiceTime' in values)?.[1].MatcherServiceTime;
    expect(typeof matcherTime).toBe('string');
    // Python's str() of a float: always a '.' or an exponent, never a bare integer.
    expect(matcherTime).toMatch(/^\d+\.\d+$|^\d(\.\d+)?e-\d\d$/);
    expect(Number(matcherTime)).toBeGreaterThanOrEqual(0);
  });

  it('a server that refuses every minor-only update holds nothing up: the job still runs to Done', async () => {
    const fake = fakeBackend([ok, ok], (u) => u.status === undefined && u.source === 'JobAgent@S');
    const report = await agent(fake.backend, rules(), { processors: 1 });
    expect(report.counts).toEqual({ Done: 2 });
    expect(historyOf(fake.statuses, 1).map(([status, minor]) => `${status}/${minor}`)).toEqual([
      'Running/Job Initialization',
      '/Application',
      'Completing/Application Finished Successfully',
      'Done/Execution Complete',
    ]);
  });

  it('none on a compute node running staged jobs (agentReports false): the edge pilot made them', async () => {
    const fake = fakeBackend([ok]);
    await agent(fake.backend, rules(), { agentReports: false });
    expect(fake.statuses.filter(([, u]) => u.source === 'JobAgent@S')).toEqual([]);
    expect(fake.metadata.filter(([, values]) => 'MatcherServiceTime' in values)).toEqual([]);
  });
});

describe('job agent failures', () => {
  it('a slot description that throws stops matching, but running jobs still end with a final status', async () => {
    const fake = fakeBackend(['[Executable = "/bin/sleep"; Arguments = "0.5";]', ok]);
    let calls = 0;
    const run = agent(fake.backend, rules(), {
      workLeft: () => {
        if (++calls > 1) throw new Error('batch system unreadable');
        return 1e9;
      },
    });
    await expect(run).rejects.toThrow(/batch system unreadable/);
    expect(fake.finals()).toEqual([[1, 'Done']]);
  });
});

describe('a match reply is checked before anything starts (issue 15)', () => {
  const tag = () => `T${process.pid}x${Math.random().toString(36).slice(2)}`;
  /** Processes whose environment holds `MARK=<mark>`: read from /proc, independent of the agent. */
  const alive = (mark: string) =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return (
            readFileSync(`/proc/${p}/environ`, 'latin1').split('\0').includes(`MARK=${mark}`) &&
            !/\) [ZX] /.test(readFileSync(`/proc/${p}/stat`, 'latin1'))
          );
        } catch {
          return false;
        }
      });

  it('the same job twice in one reply runs once; nothing is left running after the agent returns', async () => {
    const mark = tag();
    const sleeper = `[Executable = "/bin/sh"; Arguments = "-c 'sleep 1 & sleep 1; wait'"; Environment = {"MARK=${mark}"};]`;
    const fake = replyingBackend([[matchedJob(7, sleeper), matchedJob(7, sleeper)]]);
    const report = await agent(fake.backend, rules({ maxCycles: 1 }));
    expect(report.outcomes.map((o) => [o.jobId, o.status])).toEqual([[7, 'Done']]);
    expect(report.matchRefusals).toEqual([{ jobId: 7, reason: 'duplicate' }]);
    expect(fake.statuses.filter(([, u]) => u.status === 'Done' || u.status === 'Failed')).toHaveLength(1);
    expect(alive(mark)).toEqual([]);
  });

  it('a job already running here, matched again, is refused and its running payload left alone', async () => {
    const mark = tag();
    const sleeper = `[Executable = "/bin/sleep"; Arguments = "1"; Environment = {"MARK=${mark}"};]`;
    const fake = replyingBackend([[matchedJob(8, sleeper)], [matchedJob(8, sleeper)]]);
    const report = await agent(fake.backend, rules({ maxCycles: 2 }), { processors: 2 });
    expect(report.outcomes.map((o) => [o.jobId, o.status])).toEqual([[8, 'Done']]);
    expect(report.matchRefusals).toEqual([{ jobId: 8, reason: 'already-running' }]);
    expect(fake.rescheduled).toEqual([]);
    expect(alive(mark)).toEqual([]);
  });

  it('more jobs than asked for: the first runs, the others are given back, not run', async () => {
    const fake = replyingBackend([[matchedJob(1, ok), matchedJob(2, ok), matchedJob(3, ok)]]);
    const report = await agent(fake.backend, rules({ maxCycles: 1 }), { processors: 4 });
    expect(report.outcomes.filter((o) => o.status === 'Done').map((o) => o.jobId)).toEqual([1]);
    expect(report.matchRefusals).toEqual([
      { jobId: 2, reason: 'more-than-asked' },
      { jobId: 3, reason: 'more-than-asked' },
    ]);
    expect(fake.rescheduled.sort()).toEqual([2, 3]);
    expect(report.counts).toEqual({ Done: 1, Rescheduled: 2 });
    // Given back by the job agent, so from JobAgent@<site> (the test's site is 'S').
    expect(historyOf(fake.statuses, 2)).toEqual([['Running', expect.stringMatching(/^Pilot cannot run it: /), 'JobAgent@S']]);
  });

  it('a job id that is not a positive integer is never run', async () => {
    const fake = replyingBackend([[matchedJob(-1, ok), matchedJob(Number.NaN, ok)]]);
    const report = await agent(fake.backend, rules({ maxCycles: 1 }));
    expect(report.outcomes).toEqual([]);
    expect(report.matchRefusals?.map((r) => r.reason)).toEqual(['bad-id', 'bad-id']);
  });
});
