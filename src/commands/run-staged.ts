import type { PilotContext } from '../pilot/context.js';
import { runJobAgent } from '../agent/job-agent.js';
import { StagedBackend, listStagedDirs } from '../edge/staged-backend.js';
import { StagedLayout } from '../edge/layout.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { probeSlot } from './describe-resources.js';
import { chooseRunner, describeShare, diracPayloadConfig, newSlotPool, voOf } from './wiring.js';
import { siteEnvironment } from '../pilot/dirac-options.js';
import { STOP_REPORT_MS } from '../pilot/signals.js';

/**
 * `pilot exec --staged DIR…` on a compute node: run the jobs an edge pilot staged, all at once
 * in this allocation's share, through the same job agent, wrapper, runner and watchdog as a
 * normal pilot, talking only to files. Each job runs under the limits the edge pilot wrote into
 * its job.json (src/edge/layout.ts); only the time left in the slot is read here.
 */
export async function runStagedJobs(ctx: PilotContext, paths: readonly string[]): Promise<{ done: number; failed: number }> {
  const dirs = await listStagedDirs(paths);
  if (dirs.length === 0) throw new PilotError(ExitCode.CONFIG, `--staged ${paths.join(' ')}: no staged job (job.json) found`);
  const roots = new Set(dirs.map((d) => StagedLayout.ofJobDir(d).root));
  if (roots.size !== 1) throw new PilotError(ExitCode.CONFIG, `--staged: jobs from more than one edge directory: ${[...roots].join(', ')}`);
  const layout = new StagedLayout([...roots][0]!);

  const probe = await probeSlot(ctx, layout.root);
  ctx.probe = probe;
  const backend = new StagedBackend(dirs);
  const report = await runJobAgent({
    backend,
    pool: newSlotPool(probe, ctx.params),
    rules: {
      maxCycles: dirs.length + 1,
      pollingTimeSeconds: 0.2,
      stopOnApplicationFailure: false,
      stopAfterFailedMatches: 1,
      fillingMode: true,
      minimumTimeLeft: 0, // the edge pilot matched these jobs against this allocation's limit
      drainFile: ctx.params.drainFile,
      blackHoleThreshold: Number.MAX_SAFE_INTEGER,
      heartbeatSeconds: ctx.params.heartbeatSeconds,
      deadline: null,
      shutdownGraceMs: STOP_REPORT_MS + 1_000,
    },
    pilotStamp: ctx.pilotStamp,
    vo: voOf(ctx),
    describeFree: (free) => describeShare(ctx, probe, free),
    cpuWorkLeft: () => Number.POSITIVE_INFINITY,
    job: {
      workDir: layout.workDir(),
      site: ctx.params.site,
      runner: chooseRunner(ctx),
      inputStaged: true,
      limits: (jobId) => ({
        ...backend.stagedJob(jobId).limits,
        timeLeftSeconds: () => ctx.timeLeft?.wallSecondsLeft ?? Number.POSITIVE_INFINITY,
      }),
      diracPayloads: diracPayloadConfig(ctx.params),
      pilotEnv: ctx.env,
      // The edge's --userEnvVariables and -o reach the payload through job.json; -k is the compute node's own.
      siteEnv: (jobId) => ({ ...siteEnvironment(ctx.params, ctx.env), ...backend.stagedJob(jobId).siteEnv }),
      native: ctx.native,
      allowSharedPayloadToken: ctx.params.allowSharedPayloadToken === true,
      // A payload sees its own staged directory only, not the other jobs' relay files.
      privateAreaDirs: [layout.jobsDir()],
    },
    logger: ctx.logger,
    shutdown: ctx.shutdown,
    onJobEnd: (outcome) => backend.jobEnded(outcome.jobId, outcome.status, outcome.minorStatus),
    // The edge pilot reported Job Received by Agent … Submitting To CE where it matched the jobs.
    agentReports: false,
  });
  return {
    done: report.counts.Done ?? 0,
    failed: Object.values(report.counts).reduce((sum, n) => sum + n, 0) - (report.counts.Done ?? 0),
  };
}
