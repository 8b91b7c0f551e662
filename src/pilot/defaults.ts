import type { OptionKey, Params } from './options.js';

/**
 * The defaults that depend on the node or on other options, in one place (execa's
 * addDefaultOptions is the model). Every option marked `contextual` in options.ts gets its value
 * here, and its help text says what this function does; nothing else in the pilot fills them in.
 *
 * - DIRAC's LaunchAgent gives the Pool CE its own defaults (dirac-pilot.md §1): MaxCycles 5000,
 *   StopOnApplicationFailure False, StopAfterFailedMatches max(processors, 10), PollingTime at
 *   most 20; a single-job CE keeps 10, True and 10.
 * - Processors: what the batch system allocated (the probe).
 * - Edge mode is no Pool CE (it keeps the single-job StopAfterFailedMatches): 2000 MB per core,
 *   the partition's MaxTime else 60 minutes, and a job whose heartbeat file is 10 heartbeats old
 *   (at least 30 s) given back.
 */
export interface DefaultsContext {
  /** Processors the batch system allocated to this slot (probe). */
  allocatedCpus: number;
  /** Edge mode: the partition's MaxTime in minutes, when Slurm told. */
  partitionMaxMinutes?: number | null;
}

type Contextual =
  | 'maxCycles'
  | 'stopOnApplicationFailure'
  | 'stopAfterFailedMatches'
  | 'processors'
  | 'edgeMemoryMB'
  | 'edgeTimeLimit'
  | 'edgeStaleSeconds';

/** Parameters with every contextual default filled in. */
export type EffectiveParams = Params & Required<Pick<Params, Contextual>>;

/** How each contextual default is chosen, for --help and the docs. */
export const CONTEXT_DEFAULTS: Readonly<Record<Contextual, string>> & Partial<Record<OptionKey, string>> = {
  maxCycles: '10; Pool CE 5000',
  stopOnApplicationFailure: 'True; Pool CE False',
  stopAfterFailedMatches: '10; Pool CE max(processors, 10)',
  processors: 'the allocation the batch system gave',
  edgeMemoryMB: '2000 per core',
  edgeTimeLimit: "the partition's MaxTime, else 60",
  edgeStaleSeconds: '10 heartbeats, at least 30',
};

export function isPoolCE(ceType: string): boolean {
  return ceType.startsWith('Pool');
}

/** Fills in the contextual defaults; values given by any source are kept (PollingTime is capped for a Pool CE, as DIRAC does). */
export function contextDefaults(p: Params, context: DefaultsContext): EffectiveParams {
  const pool = isPoolCE(p.ceType) && !p.edge;
  const processors = p.processors ?? context.allocatedCpus;
  return {
    ...p,
    processors,
    maxCycles: p.maxCycles ?? (pool ? 5000 : 10),
    pollingTime: pool ? Math.min(20, p.pollingTime) : p.pollingTime,
    stopOnApplicationFailure: p.stopOnApplicationFailure ?? !pool,
    stopAfterFailedMatches: p.stopAfterFailedMatches ?? (pool ? Math.max(processors, 10) : 10),
    edgeMemoryMB: p.edgeMemoryMB ?? 2000 * p.edgeCpus,
    edgeTimeLimit: p.edgeTimeLimit ?? context.partitionMaxMinutes ?? 60,
    edgeStaleSeconds: p.edgeStaleSeconds ?? Math.max(30, 10 * p.heartbeatSeconds),
  };
}
