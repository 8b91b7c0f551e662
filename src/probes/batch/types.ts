import type { BatchInfo } from '../types.js';
import type { NodeSource } from '../source.js';
import type { Warnings } from '../warnings.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** What one batch-system reader needs: the environment and the node's files (ad files, host files). */
export interface BatchContext {
  env: Env;
  source: NodeSource;
  warnings: Warnings;
}

/** A recognised allocation; `system` and `jobId` are always set. */
export type BatchAllocation = BatchInfo & { system: string; jobId: string };

/** A positive integer from an environment variable, with a warning naming the variable when malformed. */
export function envCount(context: BatchContext, name: string): number | null {
  const raw = context.env[name];
  if (raw === undefined || raw.trim() === '') return null;
  const trimmed = raw.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) <= 0) {
    context.warnings.add('batch', `${name}=${JSON.stringify(raw.slice(0, 40))} is not a positive integer; ignored`);
    return null;
  }
  return Number(trimmed);
}

/** A comma/space separated list of device ids (`0,1`, `CUDA0,CUDA1`, `GPU-uuid`). */
export function idList(raw: string | undefined): string[] | null {
  if (raw === undefined) return null;
  return raw
    .split(/[\s,]+/)
    .map((item) => item.trim())
    .filter(Boolean);
}
