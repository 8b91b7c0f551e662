import type { PilotCommand, PilotContext } from '../pilot/context.js';
import { startMetadata } from '../payload/job-wrapper.js';
import { runJobAgent } from '../agent/job-agent.js';
import { BatchNotifier, batchTargets, withBatchNotifier } from '../batch-notify/index.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { siteEnvironment } from '../pilot/dirac-options.js';
import {
  chooseRunner,
  cpuWorkLeftNow,
  describeShare,
  diracPayloadConfig,
  jobAgentRules,
  localJobLimits,
  newSlotPool,
  voOf,
  windDownDefaults,
} from './wiring.js';

/** PilotAgentsDB.StatusReason is VARCHAR(255). */
function cutReason(text: string): string {
  return text.length <= 255 ? text : text.slice(0, 255);
}

/** Why CPU work left is what it is, for the one line a pilot that took no job prints. */
function timeLeftHint(ctx: PilotContext): string {
  const source = ctx.timeLeft?.source;
  if (ctx.params.cpuTime === undefined && source === 'config:maxCPUTime') return ' (no batch system found and no -T/--CPUTime given)';
  return source ? ` (time left from ${source})` : '';
}

/** DIRAC's LaunchAgent: the job agent loop, until no job, no time, or a stop rule. */
export const runJobs: PilotCommand = {
  name: 'run-jobs',
  description: 'match and run jobs until the slot has no work or time left',
  watchesShutdown: true,
  async run(ctx) {
    const { probe, backend } = ctx;
    if (!probe) throw new PilotError(ExitCode.COMMAND_FAILED, 'run-jobs needs describe-resources before it');
    if (!backend) throw new PilotError(ExitCode.COMMAND_FAILED, 'run-jobs needs authenticate before it');
    const p = ctx.params;
    const pool = newSlotPool(probe, p);
    const runner = chooseRunner(ctx);
    ctx.logger.info(
      { runner: runner.kind, ...(runner.kind === 'direct' ? { reason: runner.reason } : { image: runner.image }) },
      'payload runner',
    );
    const rules = jobAgentRules(ctx);
    // Who fills the slot, told to the batch system after each job status (HTCondor chirp, Slurm comment).
    const notifier = new BatchNotifier({ targets: batchTargets(ctx.env), pilotStamp: ctx.pilotStamp, vo: voOf(ctx), logger: ctx.logger });
    const setPilotStatus = (status: 'Done' | 'Failed' | 'Aborted', reason: string) =>
      backend
        .setPilotStatus(status, reason)
        .catch((error: unknown) => ctx.logger.warn({ err: (error as Error).message }, 'could not set the pilot status'));
    const signalled = (): string | null =>
      ctx.shutdown.aborted ? String((ctx.shutdown.reason as Error | undefined)?.message ?? 'stop signal') : null;
    let report;
    try {
      report = await runJobAgent({
        backend: withBatchNotifier(backend, notifier),
        pool,
        rules,
        pilotStamp: ctx.pilotStamp,
        vo: voOf(ctx),
        describeFree: (free, workLeft) => describeShare(ctx, probe, free, workLeft),
        cpuWorkLeft: (consumed) => cpuWorkLeftNow(ctx, consumed),
        wallSecondsLeft: () => ctx.timeLeft?.wallSecondsLeft ?? null,
        job: {
          workDir: ctx.workDir,
          site: p.site,
          runner,
          limits: (_jobId, request) => localJobLimits(ctx, request),
          diracPayloads: diracPayloadConfig(p),
          pilotEnv: ctx.env,
          siteEnv: siteEnvironment(ctx.params, ctx.env),
          windDownDefaults: windDownDefaults(p),
          native: ctx.native,
          allowSharedPayloadToken: p.allowSharedPayloadToken === true,
          startMetadata: startMetadata({
            // 'Unknown' (no -n given) would overwrite the job's Site with nothing better.
            ...(p.site !== 'Unknown' ? { site: p.site } : {}),
            modelName: probe.cpu.model,
            memoryMB: probe.memory.allocatedMB,
            localJobId: probe.batch.jobId,
            pilotReference: probe.batch.pilotReference ?? ctx.pilotStamp,
            gridCE: p.ce,
            queue: p.queue,
            batchSystem: probe.batch.system,
            cpuNormalizationFactor: ctx.cpuPower?.power ?? 0,
            pilotStamp: ctx.pilotStamp,
            diracVersion: p.releaseVersion,
          }),
          cpuNormalizationFactor: ctx.cpuPower?.power ?? 0,
        },
        logger: ctx.logger,
        shutdown: ctx.shutdown,
      });
    } catch (error) {
      // A pilot ending on an error leaves a final status in PilotAgentsDB, not Running for good.
      await backend.flush().catch(() => undefined);
      await setPilotStatus('Failed', cutReason(`${signalled() ? `${signalled()}; ` : ''}${(error as Error).message}`));
      throw error;
    }
    ctx.logger.info({ stop: report.stopReason, cycles: report.cycles, jobs: report.counts }, `job agent done: ${report.detail}`);
    await notifier.idle();
    // Not a normal end when no call ever got a good reply: the CE's accounting must not see success.
    const unanswered = backend.neverAnswered?.();
    if (unanswered) throw new PilotError(unanswered.exitCode as ExitCode, `never got a good reply from the server: ${unanswered.message}`);
    if (report.cycles === 0 && Object.keys(report.counts).length === 0) {
      // A pilot that decided to do nothing says so plainly, not only in an info line of its log.
      process.stderr.write(`pilot: took no job: ${report.detail}${report.stopReason === 'time-left' ? timeLeftHint(ctx) : ''}\n`);
    }
    await backend.flush();
    const failedPilot = report.stopReason === 'black-hole';
    const signal = signalled();
    if (failedPilot) await setPilotStatus('Failed', cutReason(report.detail));
    // Stopped by the batch system: its jobs were handed back, and the reason is the signal, not a stop rule.
    else if (signal) await setPilotStatus('Aborted', cutReason(`${signal}: ${report.counts.Rescheduled ?? 0} job(s) rescheduled`));
    else await setPilotStatus('Done', cutReason(report.detail));
    if (failedPilot) ctx.outcome = { exitCode: ExitCode.BLACK_HOLE, reason: `black hole: ${report.detail}` };
  },
};
