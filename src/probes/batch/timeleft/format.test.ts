import { describe, expect, it } from 'vitest';
import { formatDuration, formatTimeLeft, timeLeftToJson } from './format.js';
import type { TimeLeftReport } from './index.js';

const scontrolReport: TimeLeftReport = {
  source: 'slurm:scontrol',
  system: 'slurm',
  reported: { CPU: null, CPULimit: 1200, WallClock: 12, WallClockLimit: 600, Unit: 'WallClock', source: 'slurm:scontrol' },
  usage: { CPU: 24, CPULimit: 1200, WallClock: 12, WallClockLimit: 600, Unit: 'WallClock', source: 'slurm:scontrol' },
  processors: 2,
  secondsLeft: 588,
  shutdownTime: null,
  readAt: 0,
  attempts: [{ source: 'slurm:sacct', error: 'slurm:sacct: `sacct` exited with 1: Slurm accounting storage is disabled' }],
};

describe('formatDuration', () => {
  it('prints Slurm-style durations', () => {
    expect(formatDuration(588)).toBe('00:09:48');
    expect(formatDuration(93784)).toBe('1-02:03:04');
    expect(formatDuration(-5)).toBe('-00:00:05');
  });
});

describe('formatTimeLeft', () => {
  it('names the source, the counters, the derived fields and what failed', () => {
    expect(formatTimeLeft(scontrolReport)).toBe(
      [
        'Time left: 00:09:48 (588 s of wall clock) from slurm:scontrol',
        '  wall clock: 00:00:12 used of 00:10:00',
        '  CPU:        00:00:24 used of 00:20:00 (2 processors)',
        "  derived by DIRAC's fill-in rules: CPU",
        '  not used: slurm:sacct: `sacct` exited with 1: Slurm accounting storage is disabled',
        '',
      ].join('\n'),
    );
  });
  it('says when only the configuration answered', () => {
    const report: TimeLeftReport = {
      ...scontrolReport,
      source: 'config:maxCPUTime',
      reported: null,
      usage: null,
      secondsLeft: 0,
      attempts: [],
    };
    expect(formatTimeLeft(report)).toBe('Time left: 00:00:00 (0 s of CPU) from config:maxCPUTime (no batch-system figure)\n');
  });
  it('gives a JSON-ready object', () => {
    expect(JSON.parse(JSON.stringify(timeLeftToJson(scontrolReport)))).toMatchObject({
      source: 'slurm:scontrol',
      secondsLeft: 588,
      usage: { CPU: 24 },
    });
  });
});
