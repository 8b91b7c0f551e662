import archspec from './data/archspec-microarchitectures.json' with { type: 'json' };

/**
 * Names the CPU the way archspec does (the same JSON database, our own matching code):
 * among the targets of the host's family whose vendor fits and whose required features the
 * host has, the most specific one (deepest ancestry, then most features) wins.
 */

interface TargetEntry {
  from: string[];
  vendor: string;
  features: string[];
  generation?: number;
  cpupart?: string;
}

export interface HostCpu {
  /** 'x86_64' | 'aarch64' | 'ppc64le' | ... */
  family: string;
  /** As archspec spells it: GenuineIntel, AuthenticAMD, ARM, Fujitsu, IBM, ... */
  vendor: string;
  features: ReadonlySet<string>;
  /** aarch64 `CPU part`, e.g. "0xd40". */
  cpuPart?: string | null;
  /** POWER generation (9 for POWER9). */
  generation?: number | null;
}

const targets = (archspec as unknown as { microarchitectures: Record<string, TargetEntry> }).microarchitectures;
export const armVendors: Record<string, string> = (archspec as unknown as { conversions: { arm_vendors: Record<string, string> } })
  .conversions.arm_vendors;

const ancestorCache = new Map<string, Set<string>>();
function ancestorsOf(name: string): Set<string> {
  const cached = ancestorCache.get(name);
  if (cached) return cached;
  const result = new Set<string>();
  for (const parent of targets[name]?.from ?? []) {
    result.add(parent);
    for (const above of ancestorsOf(parent)) result.add(above);
  }
  ancestorCache.set(name, result);
  return result;
}

function isCompatible(name: string, entry: TargetEntry, host: HostCpu): boolean {
  if (name !== host.family && !ancestorsOf(name).has(host.family)) return false;
  if (entry.vendor !== 'generic' && entry.vendor !== host.vendor) return false;
  if (host.family.startsWith('ppc64')) {
    return entry.generation === undefined || (host.generation ?? 0) >= entry.generation;
  }
  return entry.features.every((feature) => host.features.has(feature));
}

/** Most specific compatible archspec name; the bare family name when nothing more fits. */
export function detectMicroarchitecture(host: HostCpu): string {
  if (!targets[host.family]) return host.family;
  let best = host.family;
  let bestKey: [number, number, number] = [-1, -1, -1];
  for (const [name, entry] of Object.entries(targets)) {
    if (!isCompatible(name, entry, host)) continue;
    // An exact CPU part match identifies the core outright; otherwise depth, then feature count.
    const exactPart = host.cpuPart && entry.cpupart && entry.cpupart.toLowerCase() === host.cpuPart.toLowerCase() ? 1 : 0;
    const key: [number, number, number] = [exactPart, ancestorsOf(name).size, entry.features.length];
    if (key[0] > bestKey[0] || (key[0] === bestKey[0] && (key[1] > bestKey[1] || (key[1] === bestKey[1] && key[2] > bestKey[2])))) {
      best = name;
      bestKey = key;
    }
  }
  return best;
}

/** x86-64 psABI level 1..4 from the flags (archspec's x86_64_v2..v4 feature lists); null off x86_64. */
export function x86PsabiLevel(family: string, features: ReadonlySet<string>): number | null {
  if (family !== 'x86_64') return null;
  let level = 1;
  for (const candidate of [2, 3, 4]) {
    const required = targets[`x86_64_v${candidate}`]?.features ?? [];
    if (required.every((feature) => features.has(feature))) level = candidate;
    else break;
  }
  return level;
}
