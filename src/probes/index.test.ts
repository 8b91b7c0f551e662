import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeNode } from './index.js';
import { nodeCapture, ownCapture } from './test-fixtures.js';

const h100 = nodeCapture('h100-x86_64');
const epyc = nodeCapture('epyc-x86_64-2core');

/** lscpu's own answer for a capture, to check our topology against it. */
function lscpu(dir: string): Record<string, string> {
  const parsed = JSON.parse(readFileSync(path.join(dir, 'lscpu.json'), 'utf8')) as { lscpu: Array<{ field: string; data: string }> };
  return Object.fromEntries(parsed.lscpu.map((entry) => [entry.field.replace(/:$/, ''), entry.data]));
}

describe('probeNode on the captured H100 node (flat capture layout)', () => {
  it('finds exactly the one H100 with its memory, compute capability and driver', async () => {
    const probe = await probeNode({ root: h100 });
    expect(probe.gpus).toEqual([
      {
        vendor: 'nvidia',
        model: 'NVIDIA H100 80GB HBM3',
        uuid: 'GPU-1a2431af-ffb7-e916-44f1-02ed035f959c',
        memoryMB: 81559,
        driverVersion: '580.159.04',
        computeCapability: '9.0',
      },
    ]);
  });
  it('agrees with lscpu on the CPU and reads the rest of the capture', async () => {
    const probe = await probeNode({ root: h100 });
    const expected = lscpu(h100);
    expect(probe.cpu.arch).toBe(expected.Architecture);
    expect(probe.cpu.model).toBe(expected['Model name']);
    expect(probe.cpu.vendor).toBe(expected['Vendor ID']);
    expect(probe.cpu.logicalCpus).toBe(Number(expected['CPU(s)']));
    expect(probe.cpu.sockets).toBe(Number(expected['Socket(s)']));
    expect(probe.cpu.coresPerSocket).toBe(Number(expected['Core(s) per socket']));
    expect(probe.cpu.threadsPerCore).toBe(Number(expected['Thread(s) per core']));
    expect(probe.cpu.flags).toEqual(expected.Flags?.split(' '));
    expect(probe.cpu.allocatedCpus).toBe(16);
    expect(probe.cpu.microarchitectureLevel).toBe(4);
    expect(probe.memory.totalMB).toBe(Math.floor(131981020 / 1024));
    expect(probe.os).toEqual({ id: 'ubuntu', versionId: '24.04', prettyName: 'Ubuntu 24.04.3 LTS' });
    expect(probe.container.userNamespaces).toBe(true);
    expect(probe.container.runtime).toBeNull();
    expect(probe.cvmfs).toEqual({ available: false, repositories: [] });
    expect(probe.batch.cgroup).toBe('v2');
    expect(probe.nativeAddon).toBe(false);
    // The capture has no glibc.txt: said, not guessed.
    expect(probe.glibc).toBeNull();
    expect(probe.platform).toBe('Linux_x86_64');
    expect(probe.warnings.map((warning) => warning.probe)).toEqual(['glibc']);
  });
  it('honours CUDA_VISIBLE_DEVICES, including an invalid index that hides the GPU', async () => {
    expect((await probeNode({ root: h100, env: { CUDA_VISIBLE_DEVICES: '0' } })).gpus).toHaveLength(1);
    expect((await probeNode({ root: h100, env: { CUDA_VISIBLE_DEVICES: '' } })).gpus).toHaveLength(0);
    expect((await probeNode({ root: h100, env: { CUDA_VISIBLE_DEVICES: '3,0' } })).gpus).toHaveLength(0);
    expect((await probeNode({ root: h100, env: { CUDA_VISIBLE_DEVICES: 'GPU-1a2431af' } })).gpus).toHaveLength(1);
  });
  it('takes the Slurm GPU allocation into account', async () => {
    const probe = await probeNode({
      root: h100,
      env: { SLURM_JOB_ID: '9', SLURM_JOB_GPUS: '0', SLURM_GPUS_ON_NODE: '1', SLURM_CPUS_ON_NODE: '4' },
    });
    expect(probe.gpus).toHaveLength(1);
    expect(probe.batch).toMatchObject({ system: 'slurm', allocatedGpus: 1, allocatedCpus: 4, gpusSelectedBy: 'SLURM_JOB_GPUS' });
    expect(probe.cpu.allocatedCpus).toBe(4);
  });
});

describe('probeNode on the captured EPYC node', () => {
  it('reads CPU, memory, OS and glibc', async () => {
    const probe = await probeNode({ root: epyc });
    const expected = lscpu(epyc);
    expect(probe.cpu).toMatchObject({
      arch: 'x86_64',
      vendor: 'AuthenticAMD',
      model: 'AMD EPYC',
      logicalCpus: 2,
      sockets: 1,
      coresPerSocket: 2,
      threadsPerCore: 1,
      allocatedCpus: 2,
    });
    expect(probe.cpu.coresPerSocket).toBe(Number(expected['Core(s) per socket']));
    expect(probe.memory).toEqual({ totalMB: Math.floor(24684096 / 1024), allocatedMB: Math.floor(24684096 / 1024) });
    expect(probe.glibc).toBe('2.36');
    expect(probe.platform).toBe('Linux_x86_64_glibc-2.36');
    expect(probe.gpus).toEqual([]);
    expect(probe.batch.cgroup).toBe('v1');
    expect(probe.warnings).toEqual([]);
  });
});

describe('probeNode on hand-made sysroot trees', () => {
  it('cgroup v2 + Slurm: the tightest of cpuset, cpu.max, Slurm and memory.max wins', async () => {
    const probe = await probeNode({ root: ownCapture('cgroup-v2-slurm'), ceName: 'ce.example.org' });
    expect(probe.cpu).toMatchObject({ logicalCpus: 8, sockets: 1, coresPerSocket: 4, threadsPerCore: 2, allocatedCpus: 4 });
    expect(probe.memory.allocatedMB).toBe(6000);
    expect(probe.batch).toMatchObject({
      system: 'slurm',
      jobId: '77',
      pilotReference: 'sshslurm://ce.example.org/77',
      allocatedCpus: 4,
      allocatedMemoryMB: 6000,
      cgroup: 'v2',
    });
    expect(probe.glibc).toBe('2.34');
    expect(probe.os.id).toBe('almalinux');
    expect(probe.warnings).toEqual([]);
  });
  it('cgroup v2 without the batch variables: the cgroup alone limits', async () => {
    const probe = await probeNode({ root: ownCapture('cgroup-v2-slurm'), env: { SLURM_JOB_ID: '', PATH: '/usr/bin' } });
    // env overrides the captured env.txt; an empty SLURM_JOB_ID is no Slurm job.
    expect(probe.cpu.allocatedCpus).toBe(4);
    expect(probe.memory.allocatedMB).toBe(8192);
  });
  it('cgroup v1 + PBS: the CFS quota binds, the memory cgroup limits, user namespaces are off', async () => {
    const probe = await probeNode({ root: ownCapture('cgroup-v1-pbs'), ceName: 'ce.example.org' });
    expect(probe.cpu.allocatedCpus).toBe(2);
    expect(probe.memory.allocatedMB).toBe(3072);
    expect(probe.batch).toMatchObject({
      system: 'pbs',
      jobId: '1234.pbs.example.org',
      pilotReference: 'sshpbs://ce.example.org/1234',
      allocatedCpus: 3,
      nodes: 2,
      cgroup: 'v1',
    });
    expect(probe.container.userNamespaces).toBe(false);
    expect(probe.glibc).toBe('2.17');
    expect(probe.platform).toBe('Linux_x86_64_glibc-2.17');
  });
  it('aarch64 Neoverse V1 under HTCondor: arch from the capture, not from this machine', async () => {
    const probe = await probeNode({ root: ownCapture('aarch64-neoverse-v1-htcondor'), ceName: 'ce01.example.org' });
    expect(probe.cpu).toMatchObject({
      arch: 'aarch64',
      vendor: 'ARM',
      model: 'Neoverse-V1',
      microarchitecture: 'neoverse_v1',
      microarchitectureLevel: null,
      logicalCpus: 4,
      sockets: 1,
      coresPerSocket: 4,
      threadsPerCore: 1,
      allocatedCpus: 2,
    });
    expect(probe.cpu.flags).toContain('sve');
    expect(probe.platform).toBe('Linux_aarch64_glibc-2.34');
    expect(probe.memory.allocatedMB).toBe(4096);
    expect(probe.batch).toMatchObject({
      system: 'htcondor',
      jobId: '4242.0',
      globalJobId: 'ce01.example.org#4242.0#1732320000',
      pilotReference: 'htcondorce://ce01.example.org/4242.0',
      maxRuntimeSeconds: 172800,
    });
    expect(probe.warnings).toEqual([]);
  });
  it('AMD GPUs from KFD/DRM under SGE, narrowed by ROCR_VISIBLE_DEVICES', async () => {
    const probe = await probeNode({ root: ownCapture('amd-mi250-sge'), ceName: 'ce' });
    expect(probe.gpus).toEqual([
      {
        vendor: 'amd',
        model: 'AMD Instinct MI250X/MI250',
        uuid: 'a1b2c3d4e5f60002',
        memoryMB: 65520,
        driverVersion: null,
        computeCapability: 'gfx90a',
      },
    ]);
    expect(probe.batch).toMatchObject({
      system: 'sge',
      jobId: '5150',
      allocatedCpus: 8,
      gpusDetected: 2,
      gpusSelectedBy: 'ROCR_VISIBLE_DEVICES',
    });
    expect(probe.os.id).toBe('rocky');
  });
  it('LSF with Machine/Job Features filling in the memory', async () => {
    const probe = await probeNode({ root: ownCapture('mjf-lsf'), ceName: 'ce' });
    expect(probe.batch).toMatchObject({
      system: 'lsf',
      jobId: '98765',
      allocatedCpus: 6,
      allocatedMemoryMB: 8192,
      pilotReference: 'sshlsf://ce/98765',
    });
    expect((probe.batch.mjf as { machine: Record<string, string> }).machine.hs06).toBe('160.5');
    expect(probe.cpu.allocatedCpus).toBe(6);
    expect(probe.memory.allocatedMB).toBe(8192);
  });
});

describe('probeNode on bad input', () => {
  it('warns about every broken file and still answers', async () => {
    const probe = await probeNode({ root: ownCapture('bad-truncated-flat') });
    const messages = probe.warnings.map((warning) => `${warning.probe}: ${warning.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^cpu: \/sys\/devices\/system\/cpu\/online is not a CPU list/),
        expect.stringMatching(/^memory: .*MemTotal/),
        expect.stringMatching(/^os: /),
        expect.stringMatching(/^cgroup: \/sys\/fs\/cgroup\/cpu.max is not understood/),
        expect.stringMatching(/^cgroup: \/sys\/fs\/cgroup\/memory.max is not understood/),
        expect.stringMatching(/^cgroup: \/sys\/fs\/cgroup\/cpuset.cpus.effective is not understood/),
        expect.stringMatching(/^gpu: nvidia-smi line not understood/),
        expect.stringMatching(/^gpu: \/proc\/driver\/nvidia\/version has no version/),
        expect.stringMatching(/^glibc: glibc.txt is not ldd --version output/),
        expect.stringMatching(/^container: .*max_user_namespaces is not a number/),
        expect.stringMatching(/^batch: SLURM_CPUS_ON_NODE="four" is not a positive integer/),
        expect.stringMatching(/^batch: SLURM_JOB_CPUS_PER_NODE=.* is not understood/),
      ]),
    );
    // Best effort: one CPU from the truncated cpuinfo, no GPU, the Slurm job still recognised.
    expect(probe.cpu.arch).toBe('x86_64');
    expect(probe.cpu.logicalCpus).toBe(1);
    expect(probe.cpu.allocatedCpus).toBe(1);
    expect(probe.memory).toEqual({ totalMB: 0, allocatedMB: 0 });
    expect(probe.os.id).toBe('unknown');
    expect(probe.gpus).toEqual([]);
    expect(probe.batch).toMatchObject({ system: 'slurm', jobId: '12', allocatedCpus: null });
  });
  it('an empty directory gives warnings, not a throw', async () => {
    const probe = await probeNode({ root: path.join(ownCapture('mjf-lsf'), 'etc', 'machinefeatures') });
    expect(probe.cpu.logicalCpus).toBe(1);
    expect(probe.warnings.length).toBeGreaterThan(2);
  });
  it('a missing sysroot gives warnings, not a throw', async () => {
    const probe = await probeNode({ root: '/nonexistent/capture' });
    expect(probe.warnings.some((warning) => warning.message.includes('/proc/cpuinfo is missing'))).toBe(true);
  });
});

describe('probeNode on this machine', () => {
  it('fills every contract field', async () => {
    const probe = await probeNode({ env: { PATH: '/usr/bin:/bin' } });
    expect(probe.cpu.logicalCpus).toBeGreaterThan(0);
    expect(probe.cpu.allocatedCpus).toBeGreaterThan(0);
    expect(probe.cpu.allocatedCpus).toBeLessThanOrEqual(probe.cpu.logicalCpus);
    expect(probe.memory.totalMB).toBeGreaterThan(0);
    expect(probe.platform).toMatch(/^Linux_(x86_64|aarch64)/);
    expect(probe.disk.freeMB).toBeGreaterThan(0);
    expect(typeof probe.container.insideContainer).toBe('boolean');
  });
  it('uses the native addon when one is given, and says so', async () => {
    let asked = false;
    const native = {
      cpuid: (leaf: number): [number, number, number, number] => {
        asked = true;
        return leaf === 0 ? [0x20, 0x756e6547, 0x6c65746e, 0x49656e69] : [0, 0, 0, 0];
      },
      hwcap: () => {
        asked = true;
        return { hwcap: 3n, hwcap2: 0n };
      },
      setChildSubreaper: () => true,
      childrenRusage: () => ({ userMicros: 0, systemMicros: 0, maxRssKiB: 0 }),
    };
    const probe = await probeNode({ env: {}, native });
    // On x86_64 with a readable cpuinfo the flags come from cpuinfo; on aarch64 HWCAP is merged in.
    expect(probe.nativeAddon).toBe(asked);
    const captured = await probeNode({ root: h100, native });
    expect(captured.nativeAddon).toBe(false);
  });
  it('a native addon that throws costs a warning, not the probe', async () => {
    const broken = {
      cpuid: (): [number, number, number, number] => {
        throw new Error('SIGILL');
      },
      hwcap: () => {
        throw new Error('SIGILL');
      },
      setChildSubreaper: () => true,
      childrenRusage: () => ({ userMicros: 0, systemMicros: 0, maxRssKiB: 0 }),
    };
    const probe = await probeNode({ env: {}, native: broken });
    expect(probe.cpu.logicalCpus).toBeGreaterThan(0);
    // On x86_64 with a readable cpuinfo the addon is not even asked; on aarch64 it is, and fails.
    if (process.arch === 'arm64') expect(probe.warnings.some((warning) => /native addon failed/.test(warning.message))).toBe(true);
    expect(probe.nativeAddon).toBe(false);
  });
});
