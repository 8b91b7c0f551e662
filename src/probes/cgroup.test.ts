import { describe, expect, it } from 'vitest';
import { parseCpuMax, parseMemoryMax, parseProcSelfCgroup, readCgroupLimits } from './cgroup.js';
import { openNodeSource } from './source.js';
import { nodeCapture, ownCapture } from './test-fixtures.js';
import { Warnings } from './warnings.js';

describe('cgroup file parsers', () => {
  it('cpu.max', () => {
    expect(parseCpuMax('max 100000\n')).toBeNull();
    expect(parseCpuMax('250000 100000\n')).toBe(2.5);
    expect(parseCpuMax('50000')).toBe(0.5);
    expect(parseCpuMax('banana 100000')).toBe('invalid');
    expect(parseCpuMax('100 0')).toBe('invalid');
  });
  it('memory.max and memory.limit_in_bytes', () => {
    expect(parseMemoryMax('max')).toBeNull();
    expect(parseMemoryMax('9223372036854771712')).toBeNull();
    expect(parseMemoryMax('4294967296\n')).toBe(4294967296);
    expect(parseMemoryMax('-12abc')).toBe('invalid');
  });
  it('/proc/self/cgroup, v1 and v2', () => {
    expect(parseProcSelfCgroup('0::/batch/job_4242\n')).toEqual([{ controllers: [], path: '/batch/job_4242' }]);
    expect(parseProcSelfCgroup('4:cpu,cpuacct:/a\n1:name=systemd:/b\n')).toEqual([
      { controllers: ['cpu', 'cpuacct'], path: '/a' },
      { controllers: ['name=systemd'], path: '/b' },
    ]);
  });
});

describe('readCgroupLimits', () => {
  const read = async (root: string) => {
    const warnings = new Warnings();
    const limits = await readCgroupLimits(await openNodeSource(root), warnings);
    return { limits, warnings: warnings.list };
  };
  it('v2: walks up from the step cgroup and keeps the tightest limits', async () => {
    const { limits, warnings } = await read(ownCapture('cgroup-v2-slurm'));
    expect(limits).toEqual({
      version: 'v2',
      path: '/system.slice/slurmstepd.scope/job_77/step_batch',
      cpusetCpus: [0, 1, 4, 5],
      cpuQuota: 3.5,
      memoryLimitBytes: 8589934592,
    });
    expect(warnings).toEqual([]);
  });
  it('v1: per-controller hierarchies, unlimited parents ignored', async () => {
    const { limits } = await read(ownCapture('cgroup-v1-pbs'));
    expect(limits).toEqual({
      version: 'v1',
      path: '/torque/1234.pbs.example.org',
      cpusetCpus: [2, 3, 4, 5],
      cpuQuota: 2,
      memoryLimitBytes: 3221225472,
    });
  });
  it('reads the captured nodes’ transcripts', async () => {
    expect((await read(nodeCapture('h100-x86_64'))).limits).toMatchObject({
      version: 'v2',
      cpusetCpus: Array.from({ length: 16 }, (_, i) => i),
      cpuQuota: null,
      memoryLimitBytes: null,
    });
    expect((await read(nodeCapture('epyc-x86_64-2core'))).limits).toMatchObject({
      version: 'v1',
      cpusetCpus: null,
      cpuQuota: null,
      memoryLimitBytes: null,
    });
  });
  it('no /proc/self/cgroup: no limits, no noise', async () => {
    expect(await read('/nonexistent')).toEqual({
      limits: { version: null, path: null, cpusetCpus: null, cpuQuota: null, memoryLimitBytes: null },
      warnings: [],
    });
  });
});
