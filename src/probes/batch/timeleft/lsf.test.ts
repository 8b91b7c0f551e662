import { describe, expect, it } from 'vitest';
import { lsfSources, lsfUsage, parseBjobsWide, parseBqueuesLimits, parseLshostsCpuFactor, parseLsinfoModelFactor } from './lsf.js';
import { fixture, replayRunner, testContext } from './test-fixtures.js';

describe('LSF parsers', () => {
  it('reads queue limits with and without a reference host', () => {
    expect(parseBqueuesLimits(fixture('lsf/bqueues-l-reference.txt'))).toEqual({
      cpuLimit: 172800,
      wallLimit: 259200,
      reference: 'HS06REF',
    });
    expect(parseBqueuesLimits(fixture('lsf/bqueues-l-plain.txt'))).toEqual({ cpuLimit: 43200, wallLimit: 86400, reference: null });
  });
  it('refuses a malformed limit', () => {
    expect(() => parseBqueuesLimits(fixture('lsf/bqueues-l-malformed.txt'))).toThrow(/CPULIMIT is not "<minutes> min/);
  });
  it('reads cpuf from lshosts and model factors from lsinfo', () => {
    expect(parseLshostsCpuFactor(fixture('lsf/lshosts-w-host.txt'))).toBe(12.5);
    expect(parseLshostsCpuFactor(fixture('lsf/lshosts-unknown-host.stderr'))).toBeNull();
    expect(parseLsinfoModelFactor(fixture('lsf/lsinfo-m.txt'), 'HS06REF')).toBe(10);
    expect(parseLsinfoModelFactor(fixture('lsf/lsinfo-m.txt'), 'Nehalem')).toBeNull();
  });
  it('reads CPU used and wall clock since START_TIME from bjobs -W', () => {
    const now = new Date(2025, 10, 22, 23, 0, 0);
    expect(parseBjobsWide(fixture('lsf/bjobs-W.txt'), now)).toEqual({ cpu: 37815.5, wallClock: 7200 });
  });
  it('puts a start "in the future" in the previous year', () => {
    const newYear = new Date(2026, 0, 1, 0, 0, 0);
    expect(parseBjobsWide(fixture('lsf/bjobs-W.txt'), newYear).wallClock).toBe(
      (newYear.getTime() - new Date(2025, 10, 22, 21, 0, 0).getTime()) / 1000,
    );
  });
  it('refuses a job that has not started and empty output', () => {
    expect(() => parseBjobsWide(fixture('lsf/bjobs-W-pending.txt'), new Date())).toThrow(/no START_TIME/);
    expect(() => parseBjobsWide('', new Date())).toThrow(/no CPU_USED\/START_TIME row/);
  });
  it("converts limits to this host's seconds (DIRAC's KEK case: 720 min / cpuf 2.5)", () => {
    const usage = lsfUsage({ cpuLimit: 43200, wallLimit: 86400, reference: null }, 2.5, 1, { cpu: 10, wallClock: 20 });
    expect(usage).toMatchObject({ CPULimit: 17280, WallClockLimit: 34560 });
  });
});

describe('lsf source', () => {
  const env = { LSB_QUEUE: 'grid_lhcb', LSB_HOSTS: 'wn0815.example.org wn0815.example.org', LSF_BINDIR: '/opt/lsf/bin' };
  const now = new Date(2025, 10, 22, 23, 0, 0).getTime() / 1000;

  it('normalises by the reference model found with lsinfo when lshosts does not know it', async () => {
    const calls: string[] = [];
    const run = replayRunner(
      {
        '/opt/lsf/bin/bqueues -l grid_lhcb': { stdout: fixture('lsf/bqueues-l-reference.txt') },
        '/opt/lsf/bin/lshosts -w HS06REF': { exitCode: 255, stderr: fixture('lsf/lshosts-unknown-host.stderr') },
        '/opt/lsf/bin/lsinfo -m': { stdout: fixture('lsf/lsinfo-m.txt') },
        '/opt/lsf/bin/lshosts -w wn0815.example.org': { stdout: fixture('lsf/lshosts-w-host.txt') },
        '/opt/lsf/bin/bjobs -W 551234': { stdout: fixture('lsf/bjobs-W.txt') },
      },
      calls,
    );
    const usage = await lsfSources[0]?.read(testContext({ env, jobId: '551234', run, now: () => now }));
    expect(usage).toEqual({
      CPU: 37815.5,
      CPULimit: 172800 / 1.25,
      WallClock: 7200,
      WallClockLimit: 259200 / 1.25,
      Unit: 'CPU',
      source: 'lsf:bjobs',
    });
    expect(calls).toHaveLength(5);
  });

  it('fails naming the host when its CPU factor is unknown', async () => {
    const run = replayRunner({ '/opt/lsf/bin/bqueues -l grid_lhcb': { stdout: fixture('lsf/bqueues-l-plain.txt') } });
    await expect(lsfSources[0]?.read(testContext({ env, jobId: '551234', run }))).rejects.toThrow(
      /cannot determine the CPU factor of host wn0815.example.org: command not found/,
    );
  });

  it('needs LSB_QUEUE', async () => {
    await expect(lsfSources[0]?.read(testContext({ env: {}, jobId: '1' }))).rejects.toThrow(/LSB_QUEUE is not set/);
  });
});
