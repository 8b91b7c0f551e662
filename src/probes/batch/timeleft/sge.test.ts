import { describe, expect, it } from 'vitest';
import { parseSgeQstatJob, parseUsageScaling, sgeSources, sgeUsage } from './sge.js';
import { fixture, replayRunner, testContext } from './test-fixtures.js';

describe('parseSgeQstatJob', () => {
  it('reads cpu usage and the tighter of soft and hard limits', () => {
    expect(parseSgeQstatJob(fixture('sge/qstat-f-j.txt'))).toEqual({ cpu: 93784, cpuLimit: 144000, wallLimit: 169200 });
  });
  it('reports what it has when there are no time limits', () => {
    expect(parseSgeQstatJob(fixture('sge/qstat-f-j-no-limits.txt'))).toEqual({ cpu: 23, cpuLimit: null, wallLimit: null });
  });
  it('refuses malformed and empty output', () => {
    expect(() => parseSgeQstatJob(fixture('sge/qstat-f-j-malformed.txt'))).toThrow(/h_rt is not a duration: 'forever'/);
    expect(() => parseSgeQstatJob('')).toThrow(/no "job_number:"/);
  });
});

describe('parseUsageScaling', () => {
  it('reads the cpu factor, or null for NONE', () => {
    expect(parseUsageScaling(fixture('sge/qconf-se.txt'))).toBe(1.25);
    expect(parseUsageScaling(fixture('sge/qconf-se-none.txt'))).toBeNull();
    expect(parseUsageScaling('')).toBeNull();
  });
});

describe('sgeUsage', () => {
  it('scales CPU down and fills the unknown wall clock from the pilot start', () => {
    expect(sgeUsage({ cpu: 93784, cpuLimit: 144000, wallLimit: 169200 }, 1.25, 100)).toEqual({
      CPU: 93784 / 1.25,
      CPULimit: 144000,
      WallClock: 100,
      WallClockLimit: 169200,
      Unit: 'CPU',
      source: 'sge:qstat',
    });
  });
  it('fails without any limit', () => {
    expect(() => sgeUsage({ cpu: 23, cpuLimit: null, wallLimit: null }, null, 0)).toThrow(/no h_cpu\/s_cpu or h_rt\/s_rt/);
  });
});

describe('sge source', () => {
  it('asks qstat then qconf for this host', async () => {
    const calls: string[] = [];
    const run = replayRunner(
      {
        'qstat -f -j 902211': { stdout: fixture('sge/qstat-f-j.txt') },
        'qconf -se wn077.example.org': { stdout: fixture('sge/qconf-se.txt') },
      },
      calls,
    );
    const usage = await sgeSources[0]?.read(testContext({ jobId: '902211', run }));
    expect(calls).toEqual(['qstat -f -j 902211', 'qconf -se wn077.example.org']);
    expect(usage?.CPU).toBeCloseTo(75027.2);
  });
});
