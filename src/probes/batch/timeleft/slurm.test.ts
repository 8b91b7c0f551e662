import { describe, expect, it } from 'vitest';
import { parseSacct, parseScontrolShowJob, parseSqueue, slurmSources, usageFromSlurmEnvironment } from './slurm.js';
import { fixture, replayRunner, testContext } from './test-fixtures.js';

describe('parseSacct', () => {
  it("reads DIRAC's test vector", () => {
    expect(parseSacct(fixture('slurm/sacct-dirac-vector.txt'), '19283')).toEqual({
      CPU: 9000,
      CPULimit: 18000,
      WallClock: 900,
      WallClockLimit: 1800,
      Unit: 'WallClock',
      source: 'slurm:sacct',
    });
  });
  it('reads a limit in days', () => {
    expect(parseSacct(fixture('slurm/sacct-days-limit.txt'), '4242')).toMatchObject({ WallClockLimit: 86400, CPULimit: 345600 });
  });
  it('refuses an unlimited job, naming the field', () => {
    expect(() => parseSacct(fixture('slurm/sacct-unlimited.txt'), '4243')).toThrow(/Timelimit is UNLIMITED/);
  });
  it('refuses the wrong delimiter and empty output with a clear message', () => {
    expect(() => parseSacct(fixture('slurm/sacct-malformed-delimiter.txt'), '4244')).toThrow(/expected 5 comma-separated fields, got 1/);
    expect(() => parseSacct(fixture('slurm/sacct-accounting-disabled.stdout'), '1')).toThrow(/empty output/);
  });
});

describe('parseScontrolShowJob (captured on the CI Slurm)', () => {
  it('reads RunTime, TimeLimit and NumCPUs of a running job', () => {
    expect(parseScontrolShowJob(fixture('slurm/scontrol-show-job-running.txt'))).toEqual({
      CPU: null,
      CPULimit: 1200,
      WallClock: 12,
      WallClockLimit: 600,
      Unit: 'WallClock',
      source: 'slurm:scontrol',
    });
  });
  it('reads a limit in days', () => {
    expect(parseScontrolShowJob(fixture('slurm/scontrol-show-job-days-limit.txt'))).toMatchObject({ WallClockLimit: 172800 });
  });
  it('refuses UNLIMITED and non-job output', () => {
    expect(() => parseScontrolShowJob(fixture('slurm/scontrol-show-job-unlimited.txt'))).toThrow(/TimeLimit is UNLIMITED/);
    expect(() => parseScontrolShowJob('')).toThrow(/no JobId/);
    expect(() => parseScontrolShowJob('JobId=5 RunTime=abc TimeLimit=10:00')).toThrow(/RunTime is not a Slurm duration/);
  });
});

describe('parseSqueue (captured)', () => {
  it('reads limit and time used', () => {
    expect(parseSqueue(fixture('slurm/squeue-running.txt'))).toMatchObject({ WallClock: 12, WallClockLimit: 600 });
    expect(parseSqueue(fixture('slurm/squeue-days-limit.txt'))).toMatchObject({ WallClock: 0, WallClockLimit: 172800 });
  });
  it('refuses UNLIMITED and empty output', () => {
    expect(() => parseSqueue(fixture('slurm/squeue-unlimited.txt'))).toThrow(/UNLIMITED/);
    expect(() => parseSqueue(fixture('slurm/squeue-invalid-job.stdout'))).toThrow(/expected "limit used left"/);
  });
});

describe('usageFromSlurmEnvironment', () => {
  it('uses start and end times from Slurm >= 23.02', () => {
    expect(usageFromSlurmEnvironment({ SLURM_JOB_START_TIME: '1000', SLURM_JOB_END_TIME: '4600' }, 1600)).toMatchObject({
      WallClock: 600,
      WallClockLimit: 3600,
    });
  });
  it('says so when the variables are missing (as in the captured 22.05 job environment)', () => {
    const env = Object.fromEntries(
      fixture('slurm/job-environment.txt')
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2)),
    );
    expect(env.SLURM_JOB_ID).toBe('1');
    expect(() => usageFromSlurmEnvironment(env, 0)).toThrow(/SLURM_JOB_START_TIME\/SLURM_JOB_END_TIME not set/);
  });
  it('refuses an end before the start', () => {
    expect(() => usageFromSlurmEnvironment({ SLURM_JOB_START_TIME: '5000', SLURM_JOB_END_TIME: '4600' }, 0)).toThrow(/not after/);
  });
});

describe('slurm sources run the documented commands', () => {
  it('asks sacct with DIRAC arguments and reports its stderr when accounting is off', async () => {
    const calls: string[] = [];
    const run = replayRunner(
      {
        'sacct -j 1 -o JobID,CPUTimeRAW,AllocCPUS,ElapsedRaw,Timelimit -X -n -P --delimiter=,': {
          exitCode: 1,
          stderr: fixture('slurm/sacct-accounting-disabled.stderr'),
        },
      },
      calls,
    );
    const [sacct] = slurmSources;
    await expect(sacct?.read(testContext({ jobId: '1', run }))).rejects.toThrow(
      'slurm:sacct: `sacct` exited with 1: Slurm accounting storage is disabled',
    );
    expect(calls).toHaveLength(1);
  });
  it('refuses a job id that could smuggle options', async () => {
    const [, scontrol] = slurmSources;
    await expect(scontrol?.read(testContext({ jobId: '1 --all' }))).rejects.toThrow(/unexpected characters/);
  });
});
