import { ExitCode } from '../core/exit-codes.js';
import type { ProbeResult } from '../probes/types.js';
import { result, type CheckResult } from './types.js';

/**
 * GPUs the batch system (or the queue configuration) allocated must be visible to us: a GPU
 * slot whose GPUs are hidden would take GPU jobs and fail them. More visible than allocated
 * is a warning: payloads could use GPUs that belong to another slot.
 */
export function checkGpus(probe: ProbeResult, expectedGpus?: number | null): CheckResult {
  const allocated = expectedGpus ?? probe.batch.allocatedGpus ?? null;
  const visible = probe.gpus.length;
  const gpuWarnings = probe.warnings.filter((warning) => warning.probe === 'gpu').map((warning) => warning.message);
  if (allocated !== null && allocated > 0 && visible < allocated) {
    const why = gpuWarnings.length > 0 ? ` (${gpuWarnings[0]})` : '';
    return result('gpus', 'fail', `${allocated} GPU(s) allocated but ${visible} visible${why}`, ExitCode.GPU);
  }
  if (allocated !== null && visible > allocated) {
    return result('gpus', 'warn', `${visible} GPU(s) visible but only ${allocated} allocated; set CUDA_VISIBLE_DEVICES`, ExitCode.GPU);
  }
  if (gpuWarnings.length > 0) return result('gpus', 'warn', gpuWarnings.join('; '), ExitCode.GPU);
  if (visible === 0) return result('gpus', 'skip', 'no GPU allocated or visible', ExitCode.GPU);
  const models = [...new Set(probe.gpus.map((gpu) => gpu.model))].join(', ');
  return result('gpus', 'pass', `${visible} GPU(s) visible${allocated !== null ? ` as allocated` : ''}: ${models}`, ExitCode.GPU);
}
