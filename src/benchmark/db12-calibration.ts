/**
 * DB12 measures how fast CPython runs a normal-variate loop; sites and VOs compare the number
 * against Python DB12 runs and HS06 tables. The JavaScript loop runs the same algorithm many times
 * faster, and by how much depends on the microarchitecture (an interpreter and a JIT do not speed
 * up alike), so the raw NORM is multiplied by a factor k measured per CPU family against
 * bench/python/db12_reference.py under CPython 3.11 (the Python of DIRACOS2, which runs DIRAC's
 * DB12). docs/cpu-work-left.md records how each k was measured, its spread, and how to
 * re-measure it (bench/db12.bench.mjs).
 */
import { parseCpuinfo, processorBlocks } from '../probes/cpuinfo.js';

/** DB12's own constants: 12.5 M draws per iteration, NORM = 250 * n / cpu seconds. */
export const DB12_DRAWS_PER_ITERATION = 12_500_000;
export const DB12_SCALE = 250;

/** What the calibration is chosen by: /proc/cpuinfo's first processor, and the architecture. */
export interface CpuIdentity {
  arch: string;
  /** x86 `vendor_id` (GenuineIntel, AuthenticAMD), aarch64 `CPU implementer` (0x41), or ''. */
  vendor: string;
  /** x86 `cpu family` (decimal, e.g. 25 for AMD zen3/zen4), or null. */
  family: number | null;
  /** x86 `model`, or aarch64 `CPU part` as a number, or null. */
  model: number | null;
  /** `model name`, for logs and the cache's identity check. */
  modelName: string;
}

export interface Db12Calibration {
  /** Which table entry: e.g. `amd-family-25`, `intel-family-6`, `generic`. */
  id: string;
  /** score = k * raw JS NORM. */
  k: number;
  /** One standard deviation of k over single paired runs, relative. */
  relativeUncertainty: number;
  /** Whether k was measured on this family (false: another family's k, used for want of one). */
  measured: boolean;
  /** Where and how k was measured. */
  measuredOn: string;
}

interface CalibrationEntry extends Db12Calibration {
  matches(cpu: CpuIdentity): boolean;
}

/**
 * The table, most specific first. Every k is python NORM / raw JS NORM, the median over paired
 * runs (bench/db12.bench.mjs), against the reference with DB12's two pairs of running totals.
 */
const TABLE: CalibrationEntry[] = [
  {
    id: 'amd-family-25',
    k: 0.0987,
    relativeUncertainty: 0.12,
    measured: true,
    measuredOn:
      'AMD EPYC (family 25 model 1, zen3), 2-vCPU VM at load 0..9 (a slot with its own cores, then one busy process per core): median of 27 interleaved pairs against DIRACGrid/DB12 and the reference, CPython 3.11.7 vs Node 22.23.3 (bench/db12.bench.mjs); at load 14..29 (time slicing) 25 pairs gave 0.0897',
    matches: (cpu) => cpu.arch === 'x86_64' && cpu.vendor === 'AuthenticAMD' && cpu.family === 25,
  },
  {
    id: 'intel-family-6',
    k: 0.101,
    relativeUncertainty: 0.05,
    measured: true,
    measuredOn:
      'Intel Xeon (family 6), 2-vCPU Firecracker VM, 34 pairs at load 1..18, CPython 3.11.7 vs Node 22.23.3: k = 0.108 against a one-pair reference, / 1.07 (the two-pair loop costs 7 % more, measured on the EPYC)',
    matches: (cpu) => cpu.arch === 'x86_64' && cpu.vendor === 'GenuineIntel' && cpu.family === 6,
  },
];

/** For every other CPU (other AMD or Intel families, aarch64, ...): the mean of the measured ks, with their spread. */
export const GENERIC_CALIBRATION: Db12Calibration = {
  id: 'generic',
  k: 0.0999,
  relativeUncertainty: 0.1,
  measured: false,
  measuredOn: 'mean of the measured families (AMD zen3, Intel); not measured on this CPU family',
};

export function calibrationFor(cpu: CpuIdentity): Db12Calibration {
  const entry = TABLE.find((candidate) => candidate.matches(cpu));
  if (!entry) return GENERIC_CALIBRATION;
  const { matches: _matches, ...calibration } = entry;
  return calibration;
}

/** The identity of this CPU from /proc/cpuinfo's text (empty text: everything unknown). */
export function cpuIdentityFromCpuinfo(text: string, arch: string): CpuIdentity {
  const first = processorBlocks(parseCpuinfo(text))[0] ?? parseCpuinfo(text)[0] ?? {};
  const number = (value: string | undefined): number | null => {
    if (value === undefined) return null;
    const parsed = value.startsWith('0x') ? Number.parseInt(value.slice(2), 16) : Number(value);
    return Number.isInteger(parsed) ? parsed : null;
  };
  if (arch === 'aarch64') {
    return {
      arch,
      vendor: first['CPU implementer'] ?? '',
      family: null,
      model: number(first['CPU part']),
      modelName: first['model name'] ?? '',
    };
  }
  return {
    arch,
    vendor: first.vendor_id ?? '',
    family: number(first['cpu family']),
    model: number(first.model),
    modelName: first['model name'] ?? '',
  };
}

/** Node's process.arch in the kernel's words. */
export function kernelArch(nodeArch: string = process.arch): string {
  return (
    ({ x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' } as Record<string, string>)[nodeArch] ??
    nodeArch
  );
}
