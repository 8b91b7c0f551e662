import { describe, expect, it } from 'vitest';
import { parseRuntimeVersion } from './container.js';
import { x86FlagsFromCpuid, x86VendorFromCpuid } from './cpuid.js';
import { archFromUname } from './cpu.js';
import { readCvmfs, repositoryName } from './cvmfs.js';
import { glibcFromLddOutput, glibcFromLibcBytes } from './glibc.js';
import { computeCapabilityFromName } from './gpu/nvidia-models.js';
import { gfxName } from './gpu/amd.js';
import { openNodeSource } from './source.js';
import { nodeCapture } from './test-fixtures.js';

describe('small readers', () => {
  it('glibc from ldd output and from the libc banner', () => {
    expect(glibcFromLddOutput('ldd (Debian GLIBC 2.36-9+deb12u14) 2.36\nCopyright')).toBe('2.36');
    expect(glibcFromLddOutput('ldd (GNU libc) 2.28\n')).toBe('2.28');
    expect(glibcFromLddOutput('musl libc (x86_64)\nVersion 1.2.4')).toBeNull();
    expect(glibcFromLibcBytes(Buffer.from('\0\0GNU C Library (Ubuntu GLIBC 2.39-0ubuntu8) stable release version 2.39.\n'))).toBe('2.39');
    expect(glibcFromLibcBytes(Buffer.from('nothing here'))).toBeNull();
  });
  it('container runtime versions', () => {
    expect(parseRuntimeVersion('apptainer version 1.3.4\n')).toEqual({ runtime: 'apptainer', version: '1.3.4' });
    expect(parseRuntimeVersion('singularity-ce version 4.1.0-jammy')).toEqual({ runtime: 'singularity', version: '4.1.0-jammy' });
    expect(parseRuntimeVersion('Segmentation fault')).toBeNull();
  });
  it('uname machine names', () => {
    expect(archFromUname('Linux vm 6.18.44 #1 SMP x86_64 x86_64 x86_64 GNU/Linux')).toBe('x86_64');
    expect(archFromUname('arm64')).toBe('aarch64');
    expect(archFromUname('weird')).toBeNull();
  });
  it('CPUID leaves decoded as cpuinfo names them', () => {
    // Leaf 0: "GenuineIntel"; leaf 1 ECX: sse3 (bit 0), ssse3 (9), popcnt (23); EDX: sse2 (26); leaf 7 EBX: avx2 (5).
    const registers: Record<number, [number, number, number, number]> = {
      0: [0x20, 0x756e6547, 0x6c65746e, 0x49656e69],
      1: [0, 0, (1 << 0) | (1 << 9) | (1 << 23), 1 << 26],
      7: [0, 1 << 5, 0, 0],
      0x80000001: [0, 0, 1, 1 << 29],
    };
    const cpuid = (leaf: number): [number, number, number, number] => registers[leaf] ?? [0, 0, 0, 0];
    expect(x86VendorFromCpuid(cpuid)).toBe('GenuineIntel');
    expect(x86FlagsFromCpuid(cpuid).sort()).toEqual(['avx2', 'lahf_lm', 'lm', 'pni', 'popcnt', 'sse2', 'ssse3']);
  });
  it('GPU names to capabilities and AMD gfx targets', () => {
    expect(computeCapabilityFromName('NVIDIA H100 80GB HBM3')).toBe('9.0');
    expect(computeCapabilityFromName('NVIDIA A100-SXM4-40GB')).toBe('8.0');
    expect(computeCapabilityFromName('Tesla T4')).toBe('7.5');
    expect(computeCapabilityFromName('Mystery GPU')).toBeNull();
    expect(gfxName(90010)).toBe('gfx90a');
    expect(gfxName(110000)).toBe('gfx1100');
    expect(gfxName(0)).toBeNull();
  });
  it('CVMFS repositories by name or path', async () => {
    expect(repositoryName('/cvmfs/lhcb.cern.ch/')).toBe('lhcb.cern.ch');
    expect(await readCvmfs(await openNodeSource(nodeCapture('h100-x86_64')), ['lhcb.cern.ch'])).toEqual({
      available: false,
      repositories: [],
    });
  });
});

// The stand-in source is 'live', so the architecture is this host's: CPUID only exists on x86_64.
describe.skipIf(process.arch !== 'x64')('readCpu with the native addon (x86_64 hosts only: CPUID)', () => {
  // A live-layout source whose cpuinfo lost its flags and vendor (truncated read): CPUID fills in.
  const source = {
    root: '/',
    layout: 'live' as const,
    readText: async (file: string) => (file === '/proc/cpuinfo' ? 'processor\t: 0\nmodel name\t: Some CPU\n' : null),
    readBytes: async () => null,
    listDir: async () => null,
    captured: async () => null,
  };
  const addon = (cpuid: (leaf: number) => [number, number, number, number]) => ({
    cpuid,
    setChildSubreaper: () => true,
    childrenRusage: () => ({ userMicros: 0, systemMicros: 0, maxRssKiB: 0 }),
  });

  it('takes flags and vendor from CPUID when cpuinfo lacks them', async () => {
    const { readCpu } = await import('./cpu.js');
    const { Warnings } = await import('./warnings.js');
    const registers: Record<number, [number, number, number, number]> = {
      0: [0x20, 0x68747541, 0x444d4163, 0x69746e65],
      1: [0, 0, (1 << 0) | (1 << 9) | (1 << 13) | (1 << 19) | (1 << 20) | (1 << 23), (1 << 23) | (1 << 25) | (1 << 26)],
      0x80000001: [0, 0, 1, 1 << 29],
    };
    const cpu = await readCpu(
      source,
      new Warnings(),
      addon((leaf) => registers[leaf] ?? [0, 0, 0, 0]),
    );
    expect(cpu.usedNative).toBe(true);
    expect(cpu.vendor).toBe('AuthenticAMD');
    expect(cpu.flags).toEqual(expect.arrayContaining(['sse4_2', 'popcnt', 'cx16', 'lahf_lm', 'lm']));
  });
  it('a throwing addon gives a warning and the cpuinfo answer', async () => {
    const { readCpu } = await import('./cpu.js');
    const { Warnings } = await import('./warnings.js');
    const warnings = new Warnings();
    const cpu = await readCpu(
      source,
      warnings,
      addon(() => {
        throw new Error('illegal instruction');
      }),
    );
    expect(cpu.usedNative).toBe(false);
    expect(cpu.model).toBe('Some CPU');
    expect(warnings.list).toEqual([{ probe: 'cpu', message: 'native addon failed (illegal instruction); using /proc/cpuinfo only' }]);
  });
});
