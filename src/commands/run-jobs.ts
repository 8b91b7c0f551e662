import type { PilotCommand, PilotContext } from '../pilot/context.js';
import type { RunnerChoice } from '../payload/job-wrapper.js';
import { startMetadata } from '../payload/job-wrapper.js';
import { runJobAgent, type JobAgentRules } from '../agent/job-agent.js';
import { SlotPool } from '../payload/slots.js';
import type { WatchdogLimits } from '../payload/runner/index.js';
import { readAllowedCpus } from '../payload/runner/affinity.js';
import type { DiracPayloadConfig } from '../payload/dirac-payload.js';
import { buildDiracResources, buildNodeDocument } from '../probes/resources.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { resourceParams } from './describe-resources.js';
import { contextDefaults } from '../pilot/defaults.js';
import { siteEnvironment } from '../pilot/dirac-options.js';

/** The job agent's stop rules; the Pool CE's own defaults come from contextDefaults (defaults.ts). */
export function jobAgentRules(ctx: PilotContext): JobAgentRules {
  const p = contextDefaults(ctx.params, { allocatedCpus: ctx.probe?.cpu.allocatedCpus ?? 1 });
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
    deadline: p.lifetimeSeconds ? ctx.startedAt.getTime() + p.lifetimeSeconds * 1000 : null,
    // Slurm sends KILL 30 s after TERM: report everything well inside that.
    shutdownGraceMs: 20_000,
  };
}

/**
 * Apptainer when configured or usable; the direct runner when configured, or when nesting is
 * impossible (already inside a container without user namespaces). The reason is logged and
 * reported with each job.
 */
export function chooseRunner(ctx: PilotContext): RunnerChoice {
  const p = ctx.params;
  const container = ctx.probe?.container;
  const binds = [...(ctx.probe?.cvmfs.available ? ['/cvmfs'] : []), ...p.containerBinds];
  const apptainer = (binary: string): RunnerChoice => ({
    kind: 'apptainer',
    binary,
    image: p.containerImage,
    binds,
    userns: container?.userNamespaces ?? false,
    extraOptions: [],
  });
  if (p.runner === 'direct') return { kind: 'direct', reason: 'configured (--runner direct)' };
  const binary = p.apptainerBinary ?? container?.path ?? container?.runtime ?? null;
  if (p.runner === 'apptainer') {
    if (!binary) throw new PilotError(ExitCode.CONTAINER, '--runner apptainer: no apptainer or singularity found (set --apptainer PATH)');
    return apptainer(binary);
  }
  if (!binary) return { kind: 'direct', reason: 'no container runtime on this node' };
  if (container?.insideContainer && !container.userNamespaces) {
    return { kind: 'direct', reason: 'inside a container without user namespaces: nesting impossible' };
  }
  return apptainer(binary);
}

/**
 * Watchdog limits for one job: the job's own wall and CPU limits and its memory share on top of
 * the pilot's options. A job using more memory than its share is killed: the share is what keeps
 * the slot's other jobs (and the batch system's own limit) safe.
 */
export function jobLimits(ctx: PilotContext, maxWallSeconds: number | null, cpuWork: number | null, memoryMB: number | null = null): WatchdogLimits {
  const p = ctx.params;
  const power = ctx.cpuPower?.power ?? 0;
  return {
    ...(maxWallSeconds ? { wallClockSeconds: maxWallSeconds } : {}),
    // JDL CPUTime is CPU work (seconds × power); DIRAC's watchdog allows 1.2× of it in seconds.
    ...(cpuWork && power > 0 ? { cpuSeconds: (cpuWork / power) * 1.2 } : {}),
    ...(memoryMB ? { memoryMB } : {}),
    maxStdoutBytes: Math.round(p.maxStdoutMB * 1048576),
    stalled: { windowSeconds: p.stalledSeconds, minCpuRatio: 0.05 },
    loopingSeconds: p.loopingSeconds,
    killGraceMs: Math.round(p.killGraceSeconds * 1000),
    sampleIntervalMs: Math.min(10_000, Math.max(200, (p.stalledSeconds * 1000) / 10)),
    timeLeftSeconds: () => ctx.timeLeft?.wallSecondsLeft ?? Number.POSITIVE_INFINITY,
  };
}

/** Where dirac-jobexec payloads get DIRAC from: --dirac-image, --dirac-environment. */
export function diracPayloadConfig(ctx: PilotContext): DiracPayloadConfig {
  return { ...(ctx.params.diracImage ? { image: ctx.params.diracImage } : {}), ...(ctx.params.diracEnvironment ? { environment: ctx.params.diracEnvironment } : {}) };
}

/** CPU ids to pin jobs to: this process's affinity, when it covers every processor the pilot hands out. */
export function slotCpuIds(processors: number): number[] {
  const allowed = readAllowedCpus();
  return allowed && allowed.length >= processors ? allowed.slice(0, processors) : [];
}

/** DIRAC's LaunchAgent: the job agent loop, until no job, no time, or a stop rule. */
export const runJobs: PilotCommand = {
  name: 'run-jobs',
  description: 'match and run jobs until the slot has no work or time left',
  async run(ctx) {
    const { probe, backend } = ctx;
    if (!probe) throw new PilotError(ExitCode.COMMAND_FAILED, 'run-jobs needs describe-resources before it');
    if (!backend) throw new PilotError(ExitCode.COMMAND_FAILED, 'run-jobs needs authenticate before it');
    const p = contextDefaults(ctx.params, { allocatedCpus: probe.cpu.allocatedCpus });
    const { processors } = p;
    const pool = new SlotPool({
      processors,
      cpuIds: slotCpuIds(processors),
      memoryMB: probe.memory.allocatedMB,
      gpus: probe.gpus.map((g, i) => g.uuid ?? String(i)),
    });
    const runner = chooseRunner(ctx);
    ctx.logger.info({ runner: runner.kind, ...(runner.kind === 'direct' ? { reason: runner.reason } : { image: runner.image }) }, 'payload runner');
    const rules = jobAgentRules(ctx);
    const report = await runJobAgent({
      backend,
      pool,
      rules,
      pilotStamp: ctx.pilotStamp,
      vo: p.vo ?? 'unknown',
      describeFree: (free, workLeft) => {
        const params = resourceParams(ctx, { processors: free.processors, maxRAM: free.memoryMB, gpus: free.gpus }, workLeft);
        return { resources: buildDiracResources(probe, params), node: buildNodeDocument(probe, params) };
      },
      cpuWorkLeft: (consumed) => ctx.timeLeft?.recompute?.(consumed) ?? ctx.timeLeft?.cpuWorkLeft ?? Number.POSITIVE_INFINITY,
      job: {
        workDir: ctx.workDir,
        site: p.site,
        runner,
        limits: (wall, cpu, memoryMB) => jobLimits(ctx, wall, cpu, memoryMB),
        diracPayloads: diracPayloadConfig(ctx),
        pilotEnv: ctx.env,
        siteEnv: siteEnvironment(ctx.params, ctx.env),
        native: ctx.native,
        startMetadata: startMetadata({
          modelName: probe.cpu.model,
          memoryMB: probe.memory.allocatedMB,
          localJobId: probe.batch.jobId,
          pilotReference: probe.batch.pilotReference ?? ctx.pilotStamp,
          gridCE: p.ce,
          queue: p.queue,
          batchSystem: probe.batch.system,
          cpuNormalizationFactor: ctx.cpuPower?.power ?? 0,
          pilotStamp: ctx.pilotStamp,
        }),
      },
      logger: ctx.logger,
      shutdown: ctx.shutdown,
    });
    ctx.logger.info({ stop: report.stopReason, cycles: report.cycles, jobs: report.counts }, `job agent done: ${report.detail}`);
    await backend.flush();
    const failedPilot = report.stopReason === 'black-hole';
    await backend
      .setPilotStatus(failedPilot ? 'Failed' : 'Done', report.detail)
      .catch((error: unknown) => ctx.logger.warn({ err: (error as Error).message }, 'could not set the pilot status'));
    if (failedPilot) ctx.outcome = { exitCode: ExitCode.BLACK_HOLE, reason: `black hole: ${report.detail}` };
  },
};
