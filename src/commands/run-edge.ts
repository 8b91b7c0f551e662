import path from 'node:path';
import type { PilotCommand, PilotContext } from '../pilot/context.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { runEdgeAgent } from '../edge/edge-agent.js';
import { StagedLayout } from '../edge/layout.js';
import { slurm } from '../edge/slurm.js';
import { describeShare, jobLimits, lifetimeDeadline, voOf } from './wiring.js';
import { siteEnvironment } from '../pilot/dirac-options.js';
import { isSeaExecutable } from '../native/sea.js';
import { contextDefaults } from '../pilot/defaults.js';

/**
 * How compute nodes start this same pilot: the standalone executable, or node + the bundle. The
 * watchdog options (--kill-grace, --stalled-seconds, --looping-seconds, --max-stdout-mb) and the
 * CPU power are not passed here: each job's limits travel in its job.json (src/edge/layout.ts).
 */
export function computePilotArgv(ctx: PilotContext): string[] {
  const p = ctx.params;
  const prefix = p.edgeComputePrefix ? p.edgeComputePrefix.split(/\s+/).filter(Boolean) : [];
  const self = p.edgePilotCommand
    ? p.edgePilotCommand.split(/\s+/).filter(Boolean)
    : isSeaExecutable() || !process.argv[1]
      ? [process.execPath]
      : [process.execPath, path.resolve(process.argv[1])];
  return [
    ...prefix,
    ...self,
    'exec',
    '-n',
    p.site,
    ...(p.vo ? ['--wnVO', p.vo] : []),
    '--runner',
    p.runner,
    '--heartbeat',
    String(p.heartbeatSeconds),
    ...(p.apptainerBinary ? ['--apptainer', p.apptainerBinary] : []),
    '--container-image',
    p.containerImage,
    ...p.containerBinds.flatMap((b) => ['--bind', b]),
    ...(p.diracImage ? ['--dirac-image', p.diracImage] : []),
    ...(p.diracEnvironment ? ['--dirac-environment', p.diracEnvironment] : []),
    ...(p.debug ? ['-d'] : []),
    // The compute node's own PYTHONPATH, kept for its payloads as -k asks (the edge's means nothing there).
    ...(p.keepPythonPath ? ['-k'] : []),
  ];
}

/**
 * Edge-node mode (docs/edge-mode.md): instead of running jobs here, match them for compute-node
 * allocations, stage them in the shared directory, submit with sbatch and relay their reports.
 */
export const runEdge: PilotCommand = {
  name: 'run-edge',
  description: 'edge-node mode: match for compute nodes, stage, submit with sbatch, relay',
  watchesShutdown: true,
  async run(ctx) {
    const { probe, backend } = ctx;
    const p = ctx.params;
    if (!probe) throw new PilotError(ExitCode.COMMAND_FAILED, 'run-edge needs describe-resources before it');
    if (!backend) throw new PilotError(ExitCode.COMMAND_FAILED, 'run-edge needs authenticate before it');
    if (!p.edgeDir) throw new PilotError(ExitCode.CONFIG, 'edge mode needs --edge-dir (a directory shared with the compute nodes)');
    const partitionMaxMinutes = p.edgeTimeLimit === undefined ? await slurm.partitionMaxMinutes(p.edgePartition) : null;
    const d = contextDefaults(p, { allocatedCpus: probe.cpu.allocatedCpus, partitionMaxMinutes });
    const timeLimitMinutes = d.edgeTimeLimit;
    const memoryMBPerJob = d.edgeMemoryMB;
    const power = ctx.cpuPower?.power ?? 1;
    // Each job of an allocation gets the whole time limit on its own cores: that is its CPU work.
    const cpuWork = timeLimitMinutes * 60 * power;
    const report = await runEdgeAgent({
      backend,
      batch: slurm,
      layout: new StagedLayout(path.resolve(p.edgeDir)),
      privateDir: path.join(ctx.workDir, 'edge-private'),
      allocation: {
        cpusPerJob: p.edgeCpus,
        memoryMBPerJob,
        gpusPerJob: p.edgeGpus,
        timeLimitMinutes,
        ...(p.edgePartition ? { partition: p.edgePartition } : {}),
      },
      groupSize: p.edgeGroupSize,
      maxAllocations: p.edgeMaxAllocations,
      staleSeconds: d.edgeStaleSeconds,
      pollSeconds: Math.min(p.pollingTime, 5),
      stopAfterFailedMatches: d.stopAfterFailedMatches,
      deadline: lifetimeDeadline(ctx),
      drainFile: p.drainFile,
      // The compute side runs each job under these (job.json), with the edge's CPU power: the one
      // its CPU work was matched with.
      jobLimits: (request) => jobLimits(p, power, request),
      // Without the edge's own environment: -k's PYTHONPATH is the compute node's (computePilotArgv).
      siteEnv: siteEnvironment(p, {}),
      computeArgv: computePilotArgv(ctx),
      describeAllocation: () => {
        const share = { processors: p.edgeCpus, memoryMB: memoryMBPerJob, gpus: p.edgeGpus };
        return describeShare(ctx, probe, share, cpuWork, timeLimitMinutes * 60);
      },
      pilotStamp: ctx.pilotStamp,
      vo: voOf(ctx),
      site: p.site,
      logger: ctx.logger,
      shutdown: ctx.shutdown,
    });
    ctx.logger.info(report, `edge pilot done: ${report.stopReason}`);
    await backend.flush();
    await backend.setPilotStatus('Done', `edge: ${report.finished} jobs finished, ${report.givenBack} given back`).catch(() => undefined);
  },
};
