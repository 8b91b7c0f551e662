import type { Env } from '../batch/types.js';
import type { Warnings } from '../warnings.js';

/** A GPU as far as selection goes: its enumeration index and UUID. */
export interface Selectable {
  index: number;
  uuid: string | null;
}

/** Which variable narrowed the list, for the table and the checks. */
export interface Selection<T> {
  gpus: T[];
  selectedBy: string | null;
}

function resolve<T extends Selectable>(token: string, gpus: T[]): T | null {
  const cuda = /^(?:CUDA)?(\d+)$/i.exec(token);
  if (cuda) return gpus.find((gpu) => gpu.index === Number(cuda[1])) ?? null;
  if (/^(GPU|MIG)-[0-9a-fA-F-]+/.test(token)) {
    // CUDA accepts any unique UUID prefix.
    const matches = gpus.filter((gpu) => gpu.uuid?.toLowerCase().startsWith(token.toLowerCase()));
    return matches.length === 1 ? (matches[0] as T) : null;
  }
  return null;
}

/**
 * CUDA_VISIBLE_DEVICES as the CUDA runtime reads it: in order, and the first token that names
 * no device hides it and every later one. `NoDevFiles` (HTCondor) and an empty value hide all.
 */
export function applyCudaVisibleDevices<T extends Selectable>(value: string, gpus: T[]): T[] {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed === 'NoDevFiles' || trimmed === '-1') return [];
  const result: T[] = [];
  for (const token of trimmed.split(',').map((item) => item.trim())) {
    const gpu = resolve(token, gpus);
    if (!gpu || result.includes(gpu)) break;
    result.push(gpu);
  }
  return result;
}

/**
 * A batch system's list of assigned devices. When some names do not resolve but there are no
 * more GPUs than names, the batch system has already hidden the others (Slurm ConstrainDevices,
 * HTCondor device cgroups renumber from 0): keep what we see.
 */
function applyAssignment<T extends Selectable>(name: string, tokens: string[], gpus: T[], warnings: Warnings): T[] {
  const resolved = tokens.map((token) => resolve(token, gpus));
  if (resolved.every((gpu) => gpu !== null)) return [...new Set(resolved)];
  if (gpus.length <= tokens.length) return gpus;
  warnings.add('gpu', `${name} names devices that are not here (${tokens.join(',')}); keeping the ones that resolve`);
  return [...new Set(resolved.filter((gpu): gpu is T => gpu !== null))];
}

export function selectVisibleGpus<T extends Selectable>(
  gpus: T[],
  env: Env,
  batchGpuIds: { system: string | null; ids: string[] | null },
  warnings: Warnings,
  vendor: 'nvidia' | 'amd' = 'nvidia',
): Selection<T> {
  if (vendor === 'amd') {
    for (const name of ['HIP_VISIBLE_DEVICES', 'ROCR_VISIBLE_DEVICES', 'GPU_DEVICE_ORDINAL']) {
      const value = env[name];
      if (value !== undefined) return { gpus: applyCudaVisibleDevices(value, gpus), selectedBy: name };
    }
    return { gpus, selectedBy: null };
  }
  if (env.CUDA_VISIBLE_DEVICES !== undefined) {
    return { gpus: applyCudaVisibleDevices(env.CUDA_VISIBLE_DEVICES, gpus), selectedBy: 'CUDA_VISIBLE_DEVICES' };
  }
  if (batchGpuIds.ids && batchGpuIds.system) {
    const name =
      batchGpuIds.system === 'htcondor' ? 'AssignedGPUs' : batchGpuIds.system === 'slurm' ? 'SLURM_JOB_GPUS' : `${batchGpuIds.system} GPUs`;
    return { gpus: applyAssignment(name, batchGpuIds.ids, gpus, warnings), selectedBy: name };
  }
  if (env.GPU_DEVICE_ORDINAL !== undefined) {
    return { gpus: applyCudaVisibleDevices(env.GPU_DEVICE_ORDINAL, gpus), selectedBy: 'GPU_DEVICE_ORDINAL' };
  }
  const nvidia = env.NVIDIA_VISIBLE_DEVICES?.trim();
  if (nvidia !== undefined) {
    if (nvidia === 'all') return { gpus, selectedBy: null };
    if (nvidia === '' || nvidia === 'none' || nvidia === 'void') return { gpus: [], selectedBy: 'NVIDIA_VISIBLE_DEVICES' };
    const tokens = nvidia.split(',').map((item) => item.trim());
    return { gpus: applyAssignment('NVIDIA_VISIBLE_DEVICES', tokens, gpus, warnings), selectedBy: 'NVIDIA_VISIBLE_DEVICES' };
  }
  return { gpus, selectedBy: null };
}
