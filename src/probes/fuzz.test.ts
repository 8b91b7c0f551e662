import fc from 'fast-check';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseClassAd } from './batch/classad.js';
import { expandSlurmCpusPerNode } from './batch/slurm.js';
import { parseCpuMax, parseMemoryMax } from './cgroup.js';
import { parseCpuinfo } from './cpuinfo.js';
import { parseNvidiaSmiCsv } from './gpu/nvidia-smi.js';
import { probeNode } from './index.js';
import { parseCpuList } from './parse.js';
import { probeResultSchema } from './probe-schema.js';
import { nodeCapture, ownCapture } from './test-fixtures.js';
import { Warnings } from './warnings.js';

// Bounded: the machine is shared; these are about "never throws", not statistics.
const RUNS = { numRuns: 40 };

describe('parsers never throw on arbitrary text', () => {
  it('cpu lists round-trip and garbage gives null', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 512 }), { maxLength: 40 }), (cpus) => {
        const sorted = [...cpus].sort((a, b) => a - b);
        expect(parseCpuList(sorted.join(','))).toEqual(sorted);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = parseCpuList(text);
        expect(parsed === null || Array.isArray(parsed)).toBe(true);
      }),
      RUNS,
    );
  });
  it('cpuinfo, cgroup files, ClassAds, Slurm lists, nvidia-smi CSV', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        parseCpuinfo(text);
        parseCpuMax(text);
        parseMemoryMax(text);
        parseClassAd(text);
        expandSlurmCpusPerNode(text);
        parseNvidiaSmiCsv(text, new Warnings());
      }),
      RUNS,
    );
  });
});

describe('probeNode on random sysroots', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fuzz-sysroot-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const FILES = [
    'proc/cpuinfo',
    'proc/meminfo',
    'proc/self/cgroup',
    'etc/os-release',
    'sys/devices/system/cpu/online',
    'sys/fs/cgroup/cpu.max',
    'sys/fs/cgroup/memory.max',
    'sys/fs/cgroup/cpuset.cpus.effective',
    'sys/fs/cgroup/cgroup.controllers',
    'proc/sys/user/max_user_namespaces',
    'proc/driver/nvidia/version',
    'uname.txt',
    'glibc.txt',
    'nvidia-smi-query.csv',
    'env.txt',
  ];
  // Text that looks a little like the real thing, so parsers get past their first check.
  const line = fc.oneof(
    fc.string({ maxLength: 60 }),
    fc.constantFrom(
      'processor\t: 0',
      'flags\t\t: sse sse2 avx',
      'MemTotal: 12 kB',
      '0::/a',
      'max 100000',
      '0-3',
      'SLURM_JOB_ID=1',
      'SLURM_CPUS_ON_NODE=x',
      '0, GPU, GPU-1, 10, 1.0, 9.0, 0',
    ),
  );
  it('always gives a result that meets the contract, with warnings instead of throws', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom(...FILES), fc.array(line, { maxLength: 8 })), { maxLength: 12 }),
        async (files) => {
          const root = path.join(dir, String(round++));
          await mkdir(root, { recursive: true });
          for (const [file, lines] of files) {
            await mkdir(path.dirname(path.join(root, file)), { recursive: true });
            await writeFile(path.join(root, file), lines.join('\n'));
          }
          const probe = await probeNode({ root, workDir: dir });
          expect(probeResultSchema.safeParse(probe).success).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });
  it('every capture in the repository meets the contract', async () => {
    for (const root of [
      nodeCapture('h100-x86_64'),
      nodeCapture('epyc-x86_64-2core'),
      ...['cgroup-v2-slurm', 'cgroup-v1-pbs', 'aarch64-neoverse-v1-htcondor', 'amd-mi250-sge', 'mjf-lsf', 'bad-truncated-flat'].map(
        ownCapture,
      ),
      '/',
    ]) {
      const checked = probeResultSchema.safeParse(await probeNode({ root, env: root === '/' ? { PATH: '/usr/bin' } : undefined }));
      expect(checked.success ? 'ok' : `${root}: ${checked.error.message}`).toBe('ok');
    }
  });
});
