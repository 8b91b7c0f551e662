import { describe, expect, it } from 'vitest';
import { htcondorSources, parseCondorStatusAf, parseJobAd } from './htcondor.js';
import { fixture, fixturePath, replayRunner, testContext } from './test-fixtures.js';

describe('parseCondorStatusAf', () => {
  it('reads MaxRuntime and elapsed time', () => {
    expect(parseCondorStatusAf(fixture('htcondor/condor_status-af.txt'))).toEqual({
      CPU: null,
      CPULimit: null,
      WallClock: 3600,
      WallClockLimit: 172800,
      Unit: 'WallClock',
      source: 'htcondor:condor_status',
    });
  });
  it('says when the site sets no MaxRuntime', () => {
    expect(() => parseCondorStatusAf(fixture('htcondor/condor_status-af-undefined.txt'))).toThrow(/MaxRuntime is undefined/);
  });
  it('refuses malformed and empty output', () => {
    expect(() => parseCondorStatusAf(fixture('htcondor/condor_status-af-malformed.txt'))).toThrow(/expected "MaxRuntime elapsed"/);
    expect(() => parseCondorStatusAf('')).toThrow(/\(empty output\)/);
    expect(() => parseCondorStatusAf('lots 12')).toThrow(/MaxRuntime is not a number/);
  });
});

describe('parseJobAd', () => {
  it('reads MaxRuntime and JobCurrentStartDate from the ad file', () => {
    expect(parseJobAd(fixture('htcondor/job.ad'), 1_763_858_700)).toMatchObject({
      WallClock: 3600,
      WallClockLimit: 172800,
      source: 'htcondor:job-ad',
    });
  });
  it('says when MaxRuntime is absent, and refuses a non-ad file', () => {
    expect(() => parseJobAd(fixture('htcondor/job-no-maxruntime.ad'), 0)).toThrow(/MaxRuntime is not in the job ad/);
    expect(() => parseJobAd('garbage\n', 0)).toThrow(/no "Attribute = value" lines/);
  });
});

describe('htcondor sources', () => {
  it('falls back to reading the job ad when condor_status is missing', async () => {
    const context = testContext({ env: { _CONDOR_JOB_AD: fixturePath('htcondor/job.ad') }, run: replayRunner({}) });
    const [status, jobAd] = htcondorSources;
    await expect(status?.read(context)).rejects.toThrow(/`condor_status` exited with 127: command not found/);
    await expect(jobAd?.read(context)).resolves.toMatchObject({ WallClockLimit: 172800, WallClock: 3600 });
  });
  it('reports an unreadable ad file by path', async () => {
    const [, jobAd] = htcondorSources;
    await expect(jobAd?.read(testContext({ env: { _CONDOR_JOB_AD: '/nonexistent/.job.ad' } }))).rejects.toThrow(
      /cannot read \/nonexistent\/.job.ad/,
    );
  });
});
