import type { GpuInfo } from '../types.js';
import type { NodeSource } from '../source.js';
import type { Warnings } from '../warnings.js';

/** `gfx_target_version 90010` → `gfx90a` (major, minor, stepping in hex), as ROCm names targets. */
export function gfxName(version: number): string | null {
  if (!Number.isInteger(version) || version <= 0) return null;
  const major = Math.floor(version / 10000);
  const minor = Math.floor(version / 100) % 100;
  const stepping = version % 100;
  return `gfx${major}${minor}${stepping.toString(16)}`;
}

function property(text: string, name: string): number | null {
  const match = new RegExp(`^${name}\\s+(\\d+)\\s*$`, 'm').exec(text);
  return match ? Number(match[1]) : null;
}

export interface AmdGpu extends GpuInfo {
  index: number;
}

/**
 * AMD GPUs from the KFD topology (one node per CPU or GPU agent; GPUs have a gfx target) and
 * the DRM render node each one points at (vendor 0x1002, VRAM size, product name).
 */
export async function readAmdGpus(source: NodeSource, warnings: Warnings): Promise<AmdGpu[]> {
  const nodes = await source.listDir('/sys/class/kfd/kfd/topology/nodes');
  if (!nodes) return [];
  const ordered = nodes.filter((node) => /^\d+$/.test(node)).sort((a, b) => Number(a) - Number(b));
  const agents = await Promise.all(ordered.map((node) => source.readText(`/sys/class/kfd/kfd/topology/nodes/${node}/properties`)));
  const gpus: AmdGpu[] = [];
  for (const text of agents) {
    if (text === null) continue;
    const target = property(text, 'gfx_target_version');
    if (!target) continue;
    const minor = property(text, 'drm_render_minor');
    const device = minor !== null ? `/sys/class/drm/renderD${minor}/device` : null;
    const [vendor, productName, vram, uniqueId] = device
      ? await Promise.all([
          source.readText(`${device}/vendor`),
          source.readText(`${device}/product_name`),
          source.readText(`${device}/mem_info_vram_total`),
          source.readText(`${device}/unique_id`),
        ])
      : [null, null, null, null];
    if (vendor !== null && vendor.trim().toLowerCase() !== '0x1002') continue;
    const vramBytes = vram !== null && /^\d+\s*$/.test(vram) ? Number(vram.trim()) : null;
    if (vram !== null && vramBytes === null) warnings.add('gpu', `${device}/mem_info_vram_total is not a number`);
    gpus.push({
      index: gpus.length,
      vendor: 'amd',
      model: productName?.trim() || `AMD ${gfxName(target) ?? 'GPU'}`,
      uuid: uniqueId?.trim() || null,
      memoryMB: vramBytes !== null ? Math.floor(vramBytes / (1024 * 1024)) : null,
      driverVersion: null,
      computeCapability: gfxName(target),
    });
  }
  return gpus;
}
