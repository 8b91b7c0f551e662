import { describe, expect, it } from 'vitest';
import { mjfSources, mjfUsage, readShutdownTime } from './mjf.js';
import { fixturePath, testContext } from './test-fixtures.js';

describe('MJF time left', () => {
  it('reads the job features and caps the wall limit at the machine shutdown', async () => {
    const context = testContext({
      env: { JOBFEATURES: fixturePath('mjf/job'), MACHINEFEATURES: fixturePath('mjf/machine') },
      now: () => 1_763_860_000,
    });
    // jobstart 1763850000 + 172800 s runs past shutdowntime 1763900000: the limit becomes 50000 s.
    await expect(mjfSources[0]?.read(context)).resolves.toEqual({
      CPU: null,
      CPULimit: 1382400,
      WallClock: 10000,
      WallClockLimit: 50000,
      Unit: 'CPU',
      source: 'mjf',
    });
  });
  it('keeps the limit when the machine outlives the job', () => {
    const usage = mjfUsage({ wallLimit: 3600, cpuLimit: 3600, jobStart: 1000, shutdownTime: 999_999 }, 2000, 0);
    expect(usage.WallClockLimit).toBe(3600);
  });
  it('counts from the pilot start when jobstart_secs is missing', () => {
    expect(mjfUsage({ wallLimit: 3600, cpuLimit: 3600, jobStart: null, shutdownTime: null }, 2000, 1500).WallClock).toBe(500);
  });
  it('refuses a malformed wall limit, naming the file', async () => {
    const context = testContext({ env: { JOBFEATURES: fixturePath('mjf/job-malformed') } });
    await expect(mjfSources[0]?.read(context)).rejects.toThrow(/no usable \$JOBFEATURES\/wall_limit_secs/);
  });
  it('needs $JOBFEATURES', async () => {
    await expect(mjfSources[0]?.read(testContext())).rejects.toThrow(/\$JOBFEATURES is not set/);
  });
});

describe('readShutdownTime', () => {
  it('reads $MACHINEFEATURES/shutdowntime, or null when there is none or it is unreadable', async () => {
    await expect(readShutdownTime(testContext({ env: { MACHINEFEATURES: fixturePath('mjf/machine') } }))).resolves.toBe(1_763_900_000);
    await expect(readShutdownTime(testContext({ env: { MACHINEFEATURES: fixturePath('mjf/job') } }))).resolves.toBeNull();
    await expect(readShutdownTime(testContext({ env: { MACHINEFEATURES: fixturePath('mjf/machine-malformed') } }))).resolves.toBeNull();
    await expect(readShutdownTime(testContext())).resolves.toBeNull();
  });
});
