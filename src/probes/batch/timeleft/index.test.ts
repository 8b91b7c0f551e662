import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { detectTimeLeftSystem, readTimeLeft } from './index.js';
import { fixture, fixturePath, replayRunner } from './test-fixtures.js';

const SACCT_ARGS = '-o JobID,CPUTimeRAW,AllocCPUS,ElapsedRaw,Timelimit -X -n -P --delimiter=,';
const base = { logger: silentLogger(), now: () => 1_763_858_700, pilotStartedAt: 1_763_858_600, config: {} };

describe('detectTimeLeftSystem (DIRAC plugin order)', () => {
  it.each([
    [{ LSB_JOBID: '1', SLURM_JOB_ID: '2' }, 'lsf'],
    [{ PBS_JOBID: '1', SLURM_JOB_ID: '2' }, 'pbs'],
    [{ SGE_TASK_ID: 'undefined', _CONDOR_JOB_AD: '/x' }, 'sge'],
    [{ SLURM_JOB_ID: '2', _CONDOR_JOB_AD: '/x' }, 'slurm'],
    [{ _CONDOR_JOB_AD: '/x', JOBFEATURES: '/j', MACHINEFEATURES: '/m' }, 'htcondor'],
    [{ JOBFEATURES: '/j', MACHINEFEATURES: '/m' }, 'mjf'],
    [{ JOBFEATURES: '/j' }, null],
    [{}, null],
  ])('%j -> %s', (env, system) => expect(detectTimeLeftSystem(env)).toBe(system));
});

describe('readTimeLeft', () => {
  it("uses sacct when accounting works (DIRAC's vector: 900 s of 1800 s left)", async () => {
    const run = replayRunner({ [`sacct -j 19283 ${SACCT_ARGS}`]: { stdout: fixture('slurm/sacct-dirac-vector.txt') } });
    const report = await readTimeLeft({ ...base, env: { SLURM_JOB_ID: '19283' }, batch: null, run });
    expect(report).toMatchObject({ source: 'slurm:sacct', system: 'slurm', secondsLeft: 900, attempts: [] });
    expect(report.usage).toMatchObject({ CPU: 9000, CPULimit: 18000, WallClock: 900, WallClockLimit: 1800 });
  });

  it('falls through to scontrol when accounting storage is disabled, recording why', async () => {
    const calls: string[] = [];
    const run = replayRunner(
      {
        [`sacct -j 1 ${SACCT_ARGS}`]: { exitCode: 1, stderr: fixture('slurm/sacct-accounting-disabled.stderr') },
        'scontrol show job 1': { stdout: fixture('slurm/scontrol-show-job-running.txt') },
      },
      calls,
    );
    const report = await readTimeLeft({
      ...base,
      env: { SLURM_JOB_ID: '1' },
      batch: { system: 'slurm', jobId: '1', allocatedCpus: 2 },
      run,
    });
    expect(report.source).toBe('slurm:scontrol');
    expect(report.secondsLeft).toBe(588);
    // CPU used is derived by DIRAC's rule: wall clock x processors.
    expect(report.usage).toMatchObject({ CPU: 24, CPULimit: 1200, WallClock: 12, WallClockLimit: 600 });
    expect(report.attempts).toEqual([
      { source: 'slurm:sacct', error: 'slurm:sacct: `sacct` exited with 1: Slurm accounting storage is disabled' },
    ]);
    expect(calls).toEqual([`sacct -j 1 ${SACCT_ARGS}`, 'scontrol show job 1']);
  });

  it('ends at the environment, then the queue CPU time, when every Slurm command fails', async () => {
    const env = { SLURM_JOB_ID: '3', SLURM_JOB_START_TIME: '1763858000', SLURM_JOB_END_TIME: '1763861600' };
    const withEnv = await readTimeLeft({ ...base, env, batch: null, run: replayRunner({}) });
    expect(withEnv).toMatchObject({ source: 'slurm:environment', secondsLeft: 2900 });
    expect(withEnv.attempts.map((attempt) => attempt.source)).toEqual(['slurm:sacct', 'slurm:scontrol', 'slurm:squeue']);

    const withQueue = await readTimeLeft({
      ...base,
      env: { SLURM_JOB_ID: '3' },
      batch: null,
      run: replayRunner({}),
      config: { queueCPUTime: 7200, maxCPUTime: 100 },
    });
    expect(withQueue).toMatchObject({ source: 'config:queue', secondsLeft: 7200, usage: null, reported: null });
    expect(withQueue.attempts).toHaveLength(4);
  });

  it('an unlimited Slurm job falls through to the configuration too', async () => {
    const run = replayRunner({
      [`sacct -j 3 ${SACCT_ARGS}`]: { stdout: fixture('slurm/sacct-unlimited.txt').replace('4243', '3') },
      'scontrol show job 3': { stdout: fixture('slurm/scontrol-show-job-unlimited.txt') },
      'squeue -h -j 3 -o %l %M %L': { stdout: fixture('slurm/squeue-unlimited.txt') },
    });
    const report = await readTimeLeft({ ...base, env: { SLURM_JOB_ID: '3' }, batch: null, run, config: { maxCPUTime: 3600 } });
    expect(report.source).toBe('config:maxCPUTime');
    expect(report.secondsLeft).toBe(3600);
    expect(report.attempts.map((attempt) => attempt.error)).toEqual([
      'slurm:sacct: Timelimit is UNLIMITED: no wall-clock limit to count down from',
      'slurm:scontrol: TimeLimit is UNLIMITED: no wall-clock limit to count down from',
      'slurm:squeue: time limit (%l) is UNLIMITED: no wall-clock limit to count down from',
      'slurm:environment: SLURM_JOB_START_TIME/SLURM_JOB_END_TIME not set (Slurm < 23.02?)',
    ]);
  });

  it('MaxCPUTime defaults to 0 without a batch system', async () => {
    const report = await readTimeLeft({ ...base, env: {}, batch: null, run: replayRunner({}) });
    expect(report).toMatchObject({ source: 'config:maxCPUTime', secondsLeft: 0, system: null });
    expect(report.attempts[0]?.error).toMatch(/no batch system recognised/);
  });

  it('caps any batch system at the MJF shutdown time', async () => {
    const run = replayRunner({ [`sacct -j 19283 ${SACCT_ARGS}`]: { stdout: fixture('slurm/sacct-dirac-vector.txt') } });
    const report = await readTimeLeft({
      ...base,
      env: { SLURM_JOB_ID: '19283', MACHINEFEATURES: fixturePath('mjf/machine') },
      batch: null,
      run,
      processors: 10,
      now: () => 1_763_900_000 - 300,
    });
    expect(report.source).toBe('slurm:sacct+mjf-shutdowntime');
    expect(report.secondsLeft).toBe(300);
    expect(report.usage).toMatchObject({ WallClockLimit: 1200, CPULimit: 9000 + 3000 });
  });

  it('uses MJF alone when no batch system is recognised', async () => {
    const report = await readTimeLeft({
      ...base,
      env: { JOBFEATURES: fixturePath('mjf/job'), MACHINEFEATURES: fixturePath('mjf/machine') },
      batch: null,
      processors: 8,
      now: () => 1_763_860_000,
    });
    expect(report.system).toBe('mjf');
    // Unit CPU: CPU used = 10000 s wall x 8 processors = 80000 s. The CPU limit (1382400 s) is cut
    // by the shutdown 40000 s away to what 8 processors can still burn: 80000 + 40000 x 8.
    expect(report.usage).toMatchObject({ CPU: 80_000, WallClockLimit: 50_000, CPULimit: 400_000 });
    expect(report.secondsLeft).toBe(320_000);
  });

  it('turns an unexpected failure (a runner that throws) into an attempt, not a crash', async () => {
    const run = async (): Promise<never> => {
      throw new Error('spawn EACCES');
    };
    const report = await readTimeLeft({ ...base, env: { PBS_JOBID: '4711.pbs01' }, batch: null, run, config: { maxCPUTime: 60 } });
    expect(report).toMatchObject({ source: 'config:maxCPUTime', secondsLeft: 60, system: 'pbs' });
    expect(report.attempts).toEqual([{ source: 'pbs:qstat', error: 'pbs:qstat: spawn EACCES' }]);
  });
});
