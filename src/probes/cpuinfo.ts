/**
 * /proc/cpuinfo as the kernel prints it on x86_64 (`flags`, `vendor_id`, `model name`),
 * aarch64 (`Features`, `CPU implementer`, `CPU part`) and ppc64le (`cpu : POWER9`).
 * One record per `processor` block; fields we do not know are kept as they are.
 */
export type CpuinfoBlock = Record<string, string>;

export function parseCpuinfo(text: string): CpuinfoBlock[] {
  const blocks: CpuinfoBlock[] = [];
  let current: CpuinfoBlock = {};
  const push = (): void => {
    if (Object.keys(current).length > 0) blocks.push(current);
    current = {};
  };
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) {
      if (line.trim() === '') push();
      continue;
    }
    const key = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    // A second `processor` line without a blank line between blocks still starts a new CPU.
    if (key === 'processor' && 'processor' in current) push();
    if (key !== '') current[key] = value;
  }
  push();
  return blocks;
}

/** Blocks describing one logical CPU each (aarch64 kernels append a global `Hardware` block). */
export function processorBlocks(blocks: CpuinfoBlock[]): CpuinfoBlock[] {
  return blocks.filter((block) => 'processor' in block && /^\d+$/.test(block.processor ?? ''));
}

/** The feature list: `flags` on x86, `Features` on aarch64; de-duplicated, kernel order. */
export function featureList(block: CpuinfoBlock | undefined): string[] {
  const raw = block?.flags ?? block?.Features ?? '';
  return [...new Set(raw.split(/\s+/).filter((flag) => /^[\w.]+$/.test(flag)))];
}

/** Map cpuinfo contents to an architecture name, or null when nothing says. */
export function archFromCpuinfo(block: CpuinfoBlock | undefined): string | null {
  if (!block) return null;
  const vendor = block.vendor_id;
  if (vendor && /GenuineIntel|AuthenticAMD|HygonGenuine|CentaurHauls|Shanghai/.test(vendor)) {
    return (block.flags ?? '').split(/\s+/).includes('lm') ? 'x86_64' : 'i686';
  }
  if ('CPU implementer' in block || 'Features' in block) return 'aarch64';
  if (/POWER/i.test(block.cpu ?? '')) return 'ppc64le';
  if (block.isa?.startsWith('rv64')) return 'riscv64';
  return null;
}

/** Known aarch64 cores by (implementer, part), the names lscpu prints. */
const ARM_PARTS: Record<string, string> = {
  '0x41:0xd03': 'Cortex-A53',
  '0x41:0xd07': 'Cortex-A57',
  '0x41:0xd08': 'Cortex-A72',
  '0x41:0xd0b': 'Cortex-A76',
  '0x41:0xd0c': 'Neoverse-N1',
  '0x41:0xd40': 'Neoverse-V1',
  '0x41:0xd49': 'Neoverse-N2',
  '0x41:0xd4f': 'Neoverse-V2',
  '0x41:0xd83': 'Neoverse-V3AE',
  '0x41:0xd84': 'Neoverse-V3',
  '0x41:0xd8e': 'Neoverse-N3',
  '0x43:0x0af': 'ThunderX2 99xx',
  '0x46:0x001': 'A64FX',
  '0x48:0xd01': 'Kunpeng-920',
  '0xc0:0xac3': 'Ampere-1',
  '0xc0:0xac4': 'Ampere-1a',
  '0x61:0x022': 'Icestorm-M1',
  '0x61:0x023': 'Firestorm-M1',
};

export function armModelName(implementer: string | undefined, part: string | undefined): string | null {
  if (!implementer || !part) return null;
  return ARM_PARTS[`${implementer.toLowerCase()}:${part.toLowerCase()}`] ?? null;
}
