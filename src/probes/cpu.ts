import type { NativeAddon } from '../native/types.js';
import { aarch64FeaturesFromHwcap } from './hwcap.js';
import { x86FlagsFromCpuid, x86VendorFromCpuid } from './cpuid.js';
import { archFromCpuinfo, armModelName, featureList, parseCpuinfo, processorBlocks } from './cpuinfo.js';
import { armVendors } from './microarchitecture.js';
import { parseCpuList } from './parse.js';
import type { NodeSource } from './source.js';
import type { Warnings } from './warnings.js';

/** What the CPU probe reads; allocation and naming are layered on top in index.ts. */
export interface CpuFacts {
  model: string;
  vendor: string;
  arch: string;
  logicalCpus: number;
  onlineCpus: number[] | null;
  sockets: number;
  coresPerSocket: number;
  threadsPerCore: number;
  flags: string[];
  cpuPart: string | null;
  powerGeneration: number | null;
  /** Whether the native addon supplied any of this. */
  usedNative: boolean;
}

const KNOWN_ARCHES = ['x86_64', 'aarch64', 'ppc64le', 'ppc64', 'riscv64', 's390x', 'i686'];

/** `uname -a` or `uname -m` output → the machine name. */
export function archFromUname(text: string): string | null {
  const tokens = text.trim().split(/\s+/);
  for (const token of tokens.reverse()) {
    if (token === 'arm64') return 'aarch64';
    if (KNOWN_ARCHES.includes(token)) return token;
  }
  return null;
}

function liveArch(): string {
  const map: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ppc64: 'ppc64le', riscv64: 'riscv64', s390x: 's390x' };
  return map[process.arch] ?? process.arch;
}

interface Topology {
  sockets: number;
  cores: number;
}

/** Distinct packages and (package, core) pairs; null when the data is not there. */
function topologyFrom(pairs: Array<[string, string]>): Topology | null {
  if (pairs.length === 0) return null;
  const sockets = new Set(pairs.map(([pkg]) => pkg));
  const cores = new Set(pairs.map(([pkg, core]) => `${pkg}/${core}`));
  return { sockets: sockets.size, cores: cores.size };
}

async function sysfsTopology(source: NodeSource, cpus: number[]): Promise<Topology | null> {
  // Bounded: lscpu reads these for every CPU too, but a garbage online list must not fan out.
  const sample = cpus.slice(0, 1024);
  const pairs = await Promise.all(
    sample.map(async (cpu) => {
      const base = `/sys/devices/system/cpu/cpu${cpu}/topology`;
      const [pkg, core] = await Promise.all([source.readText(`${base}/physical_package_id`), source.readText(`${base}/core_id`)]);
      return pkg !== null && core !== null ? ([pkg.trim(), core.trim()] as [string, string]) : null;
    }),
  );
  const complete = pairs.filter((pair): pair is [string, string] => pair !== null);
  return complete.length === sample.length ? topologyFrom(complete) : null;
}

/** The addon, or how to load it: loaded only when /proc/cpuinfo leaves something out (or on aarch64). */
export type NativeAddonSource = NativeAddon | null | (() => NativeAddon | null);

export async function readCpu(source: NodeSource, warnings: Warnings, nativeSource: NativeAddonSource): Promise<CpuFacts> {
  const [cpuinfoText, onlineText, unameText] = await Promise.all([
    source.readText('/proc/cpuinfo'),
    source.readText('/sys/devices/system/cpu/online'),
    source.captured('uname.txt'),
  ]);
  if (cpuinfoText === null) warnings.add('cpu', '/proc/cpuinfo is missing or unreadable');
  const processors = processorBlocks(parseCpuinfo(cpuinfoText ?? ''));
  if (cpuinfoText !== null && processors.length === 0) warnings.add('cpu', '/proc/cpuinfo has no processor entries');
  const first = processors[0];

  const fromCpuinfo = archFromCpuinfo(first);
  const fromUname = unameText !== null ? archFromUname(unameText) : null;
  const arch = fromUname ?? fromCpuinfo ?? (source.layout === 'live' ? liveArch() : 'unknown');
  if (fromUname && fromCpuinfo && fromUname !== fromCpuinfo && !(fromUname === 'x86_64' && fromCpuinfo === 'i686')) {
    warnings.add('cpu', `uname says ${fromUname} but /proc/cpuinfo looks like ${fromCpuinfo}; using ${fromUname}`);
  }

  let onlineCpus: number[] | null = null;
  if (onlineText !== null) {
    onlineCpus = parseCpuList(onlineText);
    if (onlineCpus === null)
      warnings.add('cpu', `/sys/devices/system/cpu/online is not a CPU list: ${JSON.stringify(onlineText.trim().slice(0, 60))}`);
  }
  const logicalCpus = onlineCpus?.length || processors.length || 1;
  if (processors.length > 0 && onlineCpus && onlineCpus.length !== processors.length) {
    warnings.add('cpu', `/proc/cpuinfo lists ${processors.length} processors but ${onlineCpus.length} are online (truncated capture?)`);
  }

  let flags = featureList(first);
  let vendor = first?.vendor_id ?? '';
  let usedNative = false;
  const needsNative = source.layout === 'live' && (arch === 'aarch64' || (arch === 'x86_64' && (flags.length === 0 || vendor === '')));
  const native = needsNative ? (typeof nativeSource === 'function' ? nativeSource() : nativeSource) : null;
  if (native) {
    try {
      if (arch === 'aarch64' && native.hwcap) {
        const { hwcap, hwcap2 } = native.hwcap();
        flags = [...new Set([...flags, ...aarch64FeaturesFromHwcap(hwcap, hwcap2)])];
        usedNative = true;
      } else if (arch === 'x86_64' && native.cpuid && (flags.length === 0 || vendor === '')) {
        if (flags.length === 0) flags = x86FlagsFromCpuid(native.cpuid);
        if (vendor === '') vendor = x86VendorFromCpuid(native.cpuid);
        usedNative = true;
      }
    } catch (error) {
      warnings.add('cpu', `native addon failed (${(error as Error).message}); using /proc/cpuinfo only`);
    }
  }

  let model = first?.['model name'] ?? '';
  const cpuPart = first?.['CPU part'] ?? null;
  if (arch === 'aarch64') {
    const implementer = first?.['CPU implementer'];
    vendor = implementer ? (armVendors[implementer.toLowerCase()] ?? implementer) : vendor;
    model = armModelName(implementer, cpuPart ?? undefined) ?? (model || (cpuPart ? `ARM part ${cpuPart}` : ''));
  }
  let powerGeneration: number | null = null;
  if (arch.startsWith('ppc64')) {
    const match = /POWER(\d+)/i.exec(first?.cpu ?? '');
    powerGeneration = match ? Number(match[1]) : null;
    model ||= first?.cpu ?? '';
    vendor ||= 'IBM';
  }
  if (model === '') model = 'unknown';
  if (vendor === '') vendor = 'unknown';

  let topology: Topology | null = null;
  const cpuinfoPairs = processors
    .filter((block) => block['physical id'] !== undefined && block['core id'] !== undefined)
    .map((block) => [block['physical id'] as string, block['core id'] as string] as [string, string]);
  if (cpuinfoPairs.length === processors.length) topology = topologyFrom(cpuinfoPairs);
  if (!topology && onlineCpus && onlineCpus.length > 0) topology = await sysfsTopology(source, onlineCpus);
  const sockets = topology?.sockets ?? 1;
  const cores = topology?.cores ?? logicalCpus;
  const threadsPerCore = Math.max(1, Math.round(logicalCpus / Math.max(1, cores)));
  const coresPerSocket = Math.max(1, Math.round(cores / Math.max(1, sockets)));

  return {
    model,
    vendor,
    arch,
    logicalCpus,
    onlineCpus,
    sockets,
    coresPerSocket,
    threadsPerCore,
    flags,
    cpuPart,
    powerGeneration,
    usedNative,
  };
}
