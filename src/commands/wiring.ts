/**
 * The wiring: how the pilot's parameters, the probe of the node and the CPU power become each
 * part's options (the slot pool, the job agent's rules, the runner, a job's watchdog limits, the
 * resource description). Pure functions of plain data, unit-tested in wiring.test.ts, so that the
 * commands and subcommands stay glue and compute each value the same way.
 *
 * They take `PilotFacts`, the part of the pipeline's context they read; a PilotContext is one.
 */
import { STOP_REPORT_MS } from '../pilot/signals.js';
import type { Params } from '../pilot/params.js';
import { jobRequirements } from '../pilot/dirac-options.js';
import { contextDefaults } from '../pilot/defaults.js';
import type { CpuPower, SlotTimeLeft } from '../pilot/context.js';
import type { ProbeResult } from '../probes/types.js';
import { buildDiracResources, buildNodeDocument, type ResourceParams } from '../probes/resources.js';
import type { Backend, DiracResources } from '../backend/types.js';
import type { JobAgentRules } from '../agent/job-agent.js';
import type { RunnerChoice } from '../payload/job-wrapper.js';
import { SlotPool, type SlotCapacity } from '../payload/slots.js';
import { readAllowedCpus } from '../payload/runner/affinity.js';
import type { WatchdogLimits } from '../payload/runner/index.js';
import type { DiracPayloadConfig } from '../payload/dirac-payload.js';
import { noSecretFiles, type SecretFiles } from '../payload/runner/secret-files.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

export interface PilotFacts {
  readonly params: Params;
  readonly startedAt: Date;
  readonly pilotStamp: string;
  readonly secretFiles?: SecretFiles | undefined;
  probe?: ProbeResult | undefined;
  cpuPower?: CpuPower | undefined;
  timeLeft?: SlotTimeLeft | undefined;
  backend?: Backend | undefined;
}

/**
 * The VO the pilot reports and matches for. As DIRAC: --wnVO (or $DIRAC_PILOT_VO), else the
 * pilot's credentials (DiracX: the token's `vo` claim, once connected), else 'unknown'.
 */
export function voOf(facts: { params: Pick<Params, 'vo'>; backend?: Pick<Backend, 'tokenVo'> | undefined }): string {
  return facts.params.vo ?? facts.backend?.tokenVo?.() ?? 'unknown';
}

/** Processors the pilot hands out: -P, else what the batch system allocated, else 1. */
export function slotProcessors(facts: { params: Pick<Params, 'processors'>; probe?: ProbeResult | undefined }): number {
  return facts.params.processors ?? facts.probe?.cpu.allocatedCpus ?? 1;
}

/** Absolute time (ms) after which the pilot takes no new job (--lifetime), or null for none. */
export function lifetimeDeadline(facts: Pick<PilotFacts, 'params' | 'startedAt'>): number | null {
  const seconds = facts.params.lifetimeSeconds;
  return seconds ? facts.startedAt.getTime() + seconds * 1000 : null;
}

/**
 * What the slot pool may hand out: the processors above, memory and GPUs from the probe; jobs are
 * pinned to `allowedCpus` (this process's affinity) only when it covers every processor.
 */
export function slotCapacity(probe: ProbeResult, params: Pick<Params, 'processors'>, allowedCpus: readonly number[] | null): SlotCapacity {
  const processors = slotProcessors({ params, probe });
  return {
    processors,
    cpuIds: allowedCpus && allowedCpus.length >= processors ? allowedCpus.slice(0, processors) : [],
    memoryMB: probe.memory.allocatedMB,
    gpus: probe.gpus.map((g, i) => g.uuid ?? String(i)),
  };
}

/** The slot pool of this pilot: slotCapacity with this process's CPU affinity (read from /proc). */
export function newSlotPool(probe: ProbeResult, params: Pick<Params, 'processors'>): SlotPool {
  return new SlotPool(slotCapacity(probe, params, readAllowedCpus()));
}

/** DIRAC's JobAgent rules; the Pool CE's own defaults come from contextDefaults (src/pilot/defaults.ts). */
export function jobAgentRules(facts: Pick<PilotFacts, 'params' | 'probe' | 'startedAt'>): JobAgentRules {
  const p = contextDefaults(facts.params, { allocatedCpus: slotProcessors({ params: {}, probe: facts.probe }) });
  return {
    maxCycles: p.maxCycles,
    pollingTimeSeconds: p.pollingTime,
    stopOnApplicationFailure: p.stopOnApplicationFailure,
    stopAfterFailedMatches: p.stopAfterFailedMatches,
    fillingMode: true,
    minimumTimeLeft: p.minimumTimeLeft,
    drainFile: p.drainFile,
    blackHoleThreshold: p.blackHoleThreshold,
    heartbeatSeconds: p.heartbeatSeconds,
    deadline: lifetimeDeadline(facts),
    // The jobs' reports end STOP_REPORT_MS after the stop signal (their calls are cut there and
    // spooled), so waiting a second longer is enough (Slurm sends KILL 30 s after TERM).
    shutdownGraceMs: STOP_REPORT_MS + 1_000,
    // The load average counts the whole node: held against the whole node's CPUs (load-gate.ts).
    loadGate: {
      factor: p.maxLoadFactor,
      maxWaitSeconds: p.loadWaitSeconds,
      recheckSeconds: 30,
      processors: facts.probe?.cpu.logicalCpus ?? 1,
    },
    // Payloads that asked for a wind-down signal get it when the slot's end comes within the StopMargin.
    windDownLeadSeconds: p.stopMargin,
  };
}

/** The pilot's StopSig* values for jobs that do not set their own (src/payload/watchdog/wind-down.ts). */
export function windDownDefaults(
  params: Pick<Params, 'stopSigRegex' | 'stopSigNumber' | 'stopSigStartWork' | 'stopSigFinishWork'>,
): Record<string, unknown> {
  const defaults: Record<string, unknown> = {};
  if (params.stopSigRegex !== undefined) defaults.StopSigRegex = params.stopSigRegex;
  if (params.stopSigNumber !== undefined) defaults.StopSigNumber = params.stopSigNumber;
  if (params.stopSigStartWork !== undefined) defaults.StopSigStartWork = params.stopSigStartWork;
  if (params.stopSigFinishWork !== undefined) defaults.StopSigFinishWork = params.stopSigFinishWork;
  return defaults;
}

/**
 * Apptainer when configured or usable; the direct runner when configured, or when nesting is
 * impossible (already inside a container without user namespaces). The reason is logged and
 * reported with each job. The choice carries the pilot's credential files, which every payload
 * it starts must not see.
 */
export function chooseRunner(facts: Pick<PilotFacts, 'params' | 'probe' | 'secretFiles'>): RunnerChoice {
  const p = facts.params;
  const secretFiles = facts.secretFiles ?? noSecretFiles();
  const container = facts.probe?.container;
  const binds = [...(facts.probe?.cvmfs.available ? ['/cvmfs'] : []), ...p.containerBinds];
  const apptainer = (binary: string): RunnerChoice => ({
    kind: 'apptainer',
    binary,
    image: p.containerImage,
    binds,
    userns: container?.userNamespaces ?? false,
    extraOptions: [],
    secretFiles,
  });
  const direct = (reason: string): RunnerChoice => ({ kind: 'direct', reason, secretFiles });
  if (p.runner === 'direct') return direct('configured (--runner direct)');
  const binary = p.apptainerBinary ?? container?.path ?? container?.runtime ?? null;
  if (p.runner === 'apptainer') {
    if (!binary) throw new PilotError(ExitCode.CONTAINER, '--runner apptainer: no apptainer or singularity found (set --apptainer PATH)');
    return apptainer(binary);
  }
  if (!binary) return direct('no container runtime on this node');
  if (container?.insideContainer && !container.userNamespaces) {
    return direct('inside a container without user namespaces: nesting impossible');
  }
  return apptainer(binary);
}

/** What one job asks of the watchdog: its JDL limits and its memory share. */
export interface JobRequest {
  /** JDL MaxWallTime (s), or null. */
  maxWallSeconds: number | null;
  /** JDL CPUTime: CPU work (seconds × power), or null. */
  cpuWork: number | null;
  /** The job's memory share (MB), or null for no memory check. */
  memoryMB: number | null;
}

/** DIRAC's watchdog allows 1.2 × the job's CPU time, converted from CPU work with the node's power. */
export const CPU_TIME_FACTOR = 1.2;

/** The serializable part of a job's watchdog limits: what an edge pilot writes into job.json. */
export type JobLimits = Omit<WatchdogLimits, 'timeLeftSeconds'>;

/**
 * Watchdog limits for one job: the job's own wall and CPU limits and its memory share on top of
 * the pilot's options. A job using more memory than its share is killed: the share is what keeps
 * the slot's other jobs (and the batch system's own limit) safe. With no CPU power known (0),
 * the CPU limit cannot be converted to seconds and is left out.
 */
export function jobLimits(params: Params, power: number, job: JobRequest): JobLimits {
  return {
    ...(job.maxWallSeconds ? { wallClockSeconds: job.maxWallSeconds } : {}),
    ...(job.cpuWork && power > 0 ? { cpuSeconds: (job.cpuWork / power) * CPU_TIME_FACTOR } : {}),
    ...(job.memoryMB ? { memoryMB: job.memoryMB } : {}),
    maxStdoutBytes: Math.round(params.maxStdoutMB * 1048576),
    stalled: { windowSeconds: params.stalledSeconds, minCpuRatio: 0.05 },
    loopingSeconds: params.loopingSeconds,
    killGraceMs: Math.round(params.killGraceSeconds * 1000),
    sampleIntervalMs: Math.min(10_000, Math.max(200, (params.stalledSeconds * 1000) / 10)),
  };
}

/** jobLimits with the pilot's own power and time left: what a job run by this pilot gets. */
export function localJobLimits(facts: Pick<PilotFacts, 'params' | 'cpuPower' | 'timeLeft'>, job: JobRequest): WatchdogLimits {
  return {
    ...jobLimits(facts.params, facts.cpuPower?.power ?? 0, job),
    timeLeftSeconds: () => facts.timeLeft?.wallSecondsLeft ?? Number.POSITIVE_INFINITY,
  };
}

/** Where dirac-jobexec payloads get DIRAC from: --dirac-image, --dirac-environment. */
export function diracPayloadConfig(params: Pick<Params, 'diracImage' | 'diracEnvironment'>): DiracPayloadConfig {
  return {
    ...(params.diracImage ? { image: params.diracImage } : {}),
    ...(params.diracEnvironment ? { environment: params.diracEnvironment } : {}),
  };
}

/**
 * The resource description and the node document of a share of the slot: what a match request
 * offers. The job agent describes the free share before each request, `--dry-run` the whole slot,
 * the edge pilot one job's share of an allocation (with the allocation's time limit as wall time).
 */
export function describeShare(
  facts: PilotFacts,
  probe: ProbeResult,
  share: { processors: number; memoryMB: number; gpus: number },
  cpuWork?: number,
  wallSeconds?: number,
): { resources: DiracResources; node: Record<string, unknown> } {
  const overrides = { processors: share.processors, maxRAM: share.memoryMB, gpus: share.gpus };
  const params = { ...resourceParams(facts, overrides, cpuWork), ...(wallSeconds !== undefined ? { wallTimeSeconds: wallSeconds } : {}) };
  return { resources: buildDiracResources(probe, params), node: buildNodeDocument(probe, params) };
}

/** CPU work left now, after the pilot and its payloads consumed `cpuConsumedSeconds`; unbounded when unknown. */
export function cpuWorkLeftNow(facts: Pick<PilotFacts, 'timeLeft'>, cpuConsumedSeconds: number): Promise<number> | number {
  return facts.timeLeft?.recompute?.(cpuConsumedSeconds) ?? facts.timeLeft?.cpuWorkLeft ?? Number.POSITIVE_INFINITY;
}

/** The resource parameters that come from the pilot's options rather than from the node. */
export function resourceParams(facts: PilotFacts, overrides: ResourceParams['overrides'] = {}, cpuWork?: number): ResourceParams {
  const p = facts.params;
  const work = Math.floor(cpuWork ?? facts.timeLeft?.cpuWorkLeft ?? 0);
  const wall = facts.timeLeft?.wallSecondsLeft;
  return {
    site: p.site,
    ce: p.ce,
    queue: p.queue,
    vo: voOf(facts),
    tags: p.tags,
    requiredTags: p.requiredTags,
    cpuTime: work,
    cpuWork: work,
    ...(wall !== null && wall !== undefined ? { wallTimeSeconds: Math.floor(wall) } : {}),
    pilotBenchmark: facts.cpuPower?.power ?? 0,
    ...(facts.probe?.batch.pilotReference ? {} : { pilotReference: facts.pilotStamp }),
    releaseVersion: p.releaseVersion,
    ...(p.ownerGroup ? { ownerGroup: p.ownerGroup } : {}),
    requirements: jobRequirements(p),
    wholeNode: p.tags.includes('WholeNode'),
    overrides: capProcessors(facts, { ...(p.processors ? { processors: p.processors } : {}), ...overrides }),
  };
}

/** -m/--maxNumberOfProcessors: the most processors one payload gets, whatever the slot has free. */
function capProcessors(
  facts: Pick<PilotFacts, 'params' | 'probe'>,
  overrides: NonNullable<ResourceParams['overrides']>,
): NonNullable<ResourceParams['overrides']> {
  const max = facts.params.maxNumberOfProcessors;
  if (!max) return overrides;
  const free = overrides.processors ?? facts.probe?.cpu.allocatedCpus;
  return free === undefined ? overrides : { ...overrides, processors: Math.min(free, max) };
}
