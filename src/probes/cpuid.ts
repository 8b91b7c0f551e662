import type { NativeAddon } from '../native/types.js';

/**
 * x86 flags from CPUID through the native addon, named as /proc/cpuinfo names them.
 * Only the bits the psABI levels and archspec's generic targets need: used when cpuinfo
 * is missing or truncated on the live node.
 */
const BITS: ReadonlyArray<[leaf: number, register: 0 | 1 | 2 | 3, bit: number, name: string]> = [
  [1, 3, 23, 'mmx'],
  [1, 3, 25, 'sse'],
  [1, 3, 26, 'sse2'],
  [1, 2, 0, 'pni'],
  [1, 2, 9, 'ssse3'],
  [1, 2, 12, 'fma'],
  [1, 2, 13, 'cx16'],
  [1, 2, 19, 'sse4_1'],
  [1, 2, 20, 'sse4_2'],
  [1, 2, 22, 'movbe'],
  [1, 2, 23, 'popcnt'],
  [1, 2, 25, 'aes'],
  [1, 2, 26, 'xsave'],
  [1, 2, 28, 'avx'],
  [1, 2, 29, 'f16c'],
  [7, 1, 3, 'bmi1'],
  [7, 1, 5, 'avx2'],
  [7, 1, 8, 'bmi2'],
  [7, 1, 16, 'avx512f'],
  [7, 1, 17, 'avx512dq'],
  [7, 1, 28, 'avx512cd'],
  [7, 1, 30, 'avx512bw'],
  [7, 1, 31, 'avx512vl'],
  [0x80000001, 2, 0, 'lahf_lm'],
  [0x80000001, 2, 5, 'abm'],
  [0x80000001, 3, 29, 'lm'],
];

export function x86FlagsFromCpuid(cpuid: NonNullable<NativeAddon['cpuid']>): string[] {
  const leaves = new Map<number, [number, number, number, number]>();
  const flags: string[] = [];
  for (const [leaf, register, bit, name] of BITS) {
    let regs = leaves.get(leaf);
    if (!regs) {
      regs = cpuid(leaf, 0);
      leaves.set(leaf, regs);
    }
    if (((regs[register] >>> bit) & 1) === 1) flags.push(name);
  }
  return flags;
}

/** The 12-character vendor string of leaf 0 (EBX, EDX, ECX), e.g. GenuineIntel. */
export function x86VendorFromCpuid(cpuid: NonNullable<NativeAddon['cpuid']>): string {
  const [, ebx, ecx, edx] = cpuid(0, 0);
  const buffer = Buffer.alloc(12);
  buffer.writeUInt32LE(ebx >>> 0, 0);
  buffer.writeUInt32LE(edx >>> 0, 4);
  buffer.writeUInt32LE(ecx >>> 0, 8);
  return buffer.toString('latin1').replace(/\0/g, '');
}
