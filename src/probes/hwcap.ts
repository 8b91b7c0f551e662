/**
 * aarch64 AT_HWCAP / AT_HWCAP2 bits → the feature names the kernel prints in /proc/cpuinfo
 * (arch/arm64/include/uapi/asm/hwcap.h order). Used when the native addon hands us getauxval().
 */
const HWCAP_NAMES = [
  'fp',
  'asimd',
  'evtstrm',
  'aes',
  'pmull',
  'sha1',
  'sha2',
  'crc32',
  'atomics',
  'fphp',
  'asimdhp',
  'cpuid',
  'asimdrdm',
  'jscvt',
  'fcma',
  'lrcpc',
  'dcpop',
  'sha3',
  'sm3',
  'sm4',
  'asimddp',
  'sha512',
  'sve',
  'asimdfhm',
  'dit',
  'uscat',
  'ilrcpc',
  'flagm',
  'ssbs',
  'sb',
  'paca',
  'pacg',
];
const HWCAP2_NAMES = [
  'dcpodp',
  'sve2',
  'sveaes',
  'svepmull',
  'svebitperm',
  'svesha3',
  'svesm4',
  'flagm2',
  'frint',
  'svei8mm',
  'svef32mm',
  'svef64mm',
  'svebf16',
  'i8mm',
  'bf16',
  'dgh',
  'rng',
  'bti',
  'mte',
  'ecv',
  'afp',
  'rpres',
  'mte3',
  'sme',
];

function namesFromBits(bits: bigint, names: readonly string[]): string[] {
  const result: string[] = [];
  names.forEach((name, bit) => {
    if ((bits >> BigInt(bit)) & 1n) result.push(name);
  });
  return result;
}

export function aarch64FeaturesFromHwcap(hwcap: bigint, hwcap2: bigint): string[] {
  return [...namesFromBits(hwcap, HWCAP_NAMES), ...namesFromBits(hwcap2, HWCAP2_NAMES)];
}
