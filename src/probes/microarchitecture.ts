// The subset of archspec's database the matching reads (scripts/archspec-subset.mjs).
import archspec from './data/archspec-targets.json' with { type: 'json' };

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
  // Cheapest tests first: most of the database fails on vendor or features.
  if (entry.vendor !== 'generic' && entry.vendor !== host.vendor) return false;
  if (host.family.startsWith('ppc64')) {
    if (entry.generation !== undefined && (host.generation ?? 0) < entry.generation) return false;
  } else if (!entry.features.every((feature) => host.features.has(feature))) return false;
  return name === host.family || ancestorsOf(name).has(host.family);
}

type RankKey = [exactPart: number, depth: number, features: number];

function better(a: RankKey, b: RankKey): boolean {
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return (a[i] as number) > (b[i] as number);
  return false;
}

function best(names: string[], host: HostCpu): string | null {
  let winner: string | null = null;
  let winnerKey: RankKey = [-1, -1, -1];
  for (const name of names) {
    const entry = targets[name] as TargetEntry;
    // An exact CPU part match identifies an ARM core outright; otherwise depth, then feature count.
    const exactPart = host.cpuPart && entry.cpupart && entry.cpupart.toLowerCase() === host.cpuPart.toLowerCase() ? 1 : 0;
    const key: RankKey = [exactPart, ancestorsOf(name).size, entry.features.length];
    if (better(key, winnerKey)) {
      winner = name;
      winnerKey = key;
    }
  }
  return winner;
}

/**
 * Most specific compatible archspec name; the bare family name when nothing more fits.
 * As archspec: the best generic target first (x86_64_v4, power9le), then the best
 * vendor-specific target that descends from it, so one feature a BIOS hides does not drop a
 * modern CPU to an old name. The generic ARM versions (armv8.1a...) list no features in the
 * database, so nothing proves them from cpuinfo: on aarch64 a vendor core wins or the answer
 * is plain aarch64.
 */
export function detectMicroarchitecture(host: HostCpu): string {
  if (!targets[host.family]) return host.family;
  const compatible = Object.entries(targets)
    .filter(([name, entry]) => isCompatible(name, entry, host))
    .map(([name]) => name);
  const isGeneric = (name: string): boolean => targets[name]?.vendor === 'generic';
  if (host.family === 'aarch64')
    return (
      best(
        compatible.filter((name) => !isGeneric(name)),
        host,
      ) ?? 'aarch64'
    );
  const bestGeneric = best(compatible.filter(isGeneric), host) ?? host.family;
  const descendants = compatible.filter((name) => !isGeneric(name) && ancestorsOf(name).has(bestGeneric));
  return best(descendants, host) ?? bestGeneric;
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
