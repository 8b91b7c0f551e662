import type { Env } from '../batch/types.js';
import type { GpuInfo } from '../types.js';
import type { NodeSource } from '../source.js';
import type { Warnings } from '../warnings.js';
import { readAmdGpus, type AmdGpu } from './amd.js';
import { computeCapabilityFromName } from './nvidia-models.js';
import { readNvidiaProc } from './nvidia-proc.js';
import { findNvidiaSmi, parseNvidiaSmiCsv, parseNvidiaSmiXml, runNvidiaSmi, type NvidiaSmiGpu } from './nvidia-smi.js';
import { selectVisibleGpus } from './visible.js';

export interface NvidiaSmiOptions {
  /** Default 5000 ms: a wedged driver makes nvidia-smi hang for minutes. */
  timeoutMs?: number;
  /** Use this binary (even on a sysroot) instead of searching PATH and the known places. */
  path?: string;
}

export interface GpuProbe {
  gpus: GpuInfo[];
  /** GPUs on the node before the visibility variables narrowed them. */
  detected: number;
  selectedBy: string | null;
}

async function nvidiaSmiRows(
  source: NodeSource,
  env: Env,
  driverLoaded: boolean,
  options: NvidiaSmiOptions,
  warnings: Warnings,
): Promise<NvidiaSmiGpu[] | null> {
  const timeoutMs = options.timeoutMs ?? 5000;
  if (options.path) return runNvidiaSmi(options.path, timeoutMs, warnings);
  if (source.layout !== 'live') {
    const [csv, xml] = await Promise.all([source.captured('nvidia-smi-query.csv'), source.captured('nvidia-smi-q.xml')]);
    if (csv !== null) return parseNvidiaSmiCsv(csv, warnings);
    if (xml !== null) return parseNvidiaSmiXml(xml);
    return null;
  }
  // No driver, no GPU: skip the binary entirely (the fast path on CPU nodes).
  if (!driverLoaded) return null;
  const binary = await findNvidiaSmi(env);
  if (!binary) {
    warnings.add(
      'gpu',
      'NVIDIA driver loaded but nvidia-smi not found on PATH or in /usr/local/nvidia/bin, /usr/bin, /opt/nvidia; GPU memory unknown',
    );
    return null;
  }
  return runNvidiaSmi(binary, timeoutMs, warnings);
}

export interface IndexedGpu extends GpuInfo {
  index: number;
}

/** Every GPU the node has, before the allocation and the visibility variables narrow them. */
export interface GpuInventory {
  nvidia: IndexedGpu[];
  amd: AmdGpu[];
}

/**
 * The node's GPUs: the driver's /proc and /sys entries plus one nvidia-smi call. Independent of
 * the batch allocation, so the probe starts it first and nvidia-smi runs while it reads the rest.
 */
export async function readGpuInventory(source: NodeSource, env: Env, options: NvidiaSmiOptions, warnings: Warnings): Promise<GpuInventory> {
  const [proc, amd] = await Promise.all([readNvidiaProc(source, warnings), readAmdGpus(source, warnings)]);
  const rows = await nvidiaSmiRows(source, env, proc.driverLoaded, options, warnings);

  let nvidia: IndexedGpu[];
  if (rows && rows.length > 0) {
    nvidia = rows.map((row) => {
      const fromProc = proc.gpus.find((gpu) => gpu.uuid === row.uuid);
      return {
        index: row.index,
        vendor: 'nvidia',
        model: row.name || fromProc?.model || 'unknown',
        uuid: row.uuid,
        memoryMB: row.memoryMB,
        driverVersion: row.driverVersion ?? proc.driverVersion,
        computeCapability: row.computeCapability ?? computeCapabilityFromName(row.name),
      };
    });
    if (proc.gpus.length > rows.length) {
      warnings.add('gpu', `the driver lists ${proc.gpus.length} GPUs but nvidia-smi only ${rows.length}`);
    }
  } else {
    nvidia = proc.gpus.map((gpu, position) => ({
      index: gpu.minor ?? position,
      vendor: 'nvidia',
      model: gpu.model ?? 'unknown',
      uuid: gpu.uuid,
      memoryMB: null,
      driverVersion: proc.driverVersion,
      computeCapability: gpu.model ? computeCapabilityFromName(gpu.model) : null,
    }));
  }

  return { nvidia, amd };
}

export function selectGpus(
  { nvidia, amd }: GpuInventory,
  env: Env,
  batch: { system: string | null; gpuIds: string[] | null },
  warnings: Warnings,
): GpuProbe {
  const batchIds = { system: batch.system, ids: batch.gpuIds };
  const nvidiaSelection = selectVisibleGpus(nvidia, env, batchIds, warnings, 'nvidia');
  const amdSelection = selectVisibleGpus(amd, env, batchIds, warnings, 'amd');
  const strip = ({ index: _index, ...gpu }: IndexedGpu): GpuInfo => gpu;
  return {
    gpus: [...nvidiaSelection.gpus.map(strip), ...amdSelection.gpus.map(strip)],
    detected: nvidia.length + amd.length,
    selectedBy: nvidiaSelection.selectedBy ?? amdSelection.selectedBy,
  };
}
