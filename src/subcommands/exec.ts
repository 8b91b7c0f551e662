import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Subcommand } from '../pilot/cli.js';
import { openSession } from './session.js';
import { siteEnvironment } from '../pilot/dirac-options.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { describeJobFile } from '../payload/job-description.js';
import { LocalBackend } from '../payload/local-backend.js';
import { isSlot } from '../payload/slots.js';
import { runJob } from '../payload/job-wrapper.js';
import { probeSlot } from '../commands/describe-resources.js';
import { chooseRunner, diracPayloadConfig, localJobLimits, newSlotPool } from '../commands/wiring.js';
import { runStagedJobs } from '../commands/run-staged.js';
import { writeStdout } from '../pilot/stdio.js';

/**
 * `pilot exec --job FILE`: one local job through the same slot, sandbox, runner and watchdog path
 * as a matched job, with no server. Exit code: the payload's (0 when Done).
 */
export const execSubcommand: Subcommand = {
  name: 'exec',
  details: `The job directory is kept under the work directory; statuses go to exec-status.jsonl there.
--staged DIR (repeatable): run the jobs an edge pilot staged, on a compute node with no network (docs/edge-mode.md).`,
  async run(parsed) {
    const staged = (parsed.params.staged as string[] | undefined) ?? [];
    if (staged.length > 0) {
      const session = await openSession(parsed, { workDir: 'if-given' });
      try {
        const result = await runStagedJobs(session.ctx, staged);
        session.ctx.logger.info(result, 'staged jobs finished');
        return session.shutdown.exitCode() ?? 0;
      } finally {
        await session.close();
      }
    }
    const file = parsed.params.job as string | undefined;
    if (!file) throw new PilotError(ExitCode.USAGE, 'exec needs --job FILE or --staged DIR');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new PilotError(ExitCode.CONFIG, `job file ${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    const description = describeJobFile(text, file);
    const session = await openSession(parsed, { workDir: true });
    const { ctx } = session;
    try {
      const probe = await probeSlot(ctx);
      const pool = newSlotPool(probe, ctx.params);
      const slot = pool.acquire(description);
      if (!isSlot(slot)) throw new PilotError(ExitCode.CONFIG, `job file ${file}: does not fit this slot: ${slot.reason}`);
      const backend = new LocalBackend(path.join(ctx.workDir, 'exec-status.jsonl'), ctx.logger, ctx.workDir);
      const job = {
        jobId: description.jobId,
        jdl: text,
        owner: description.owner,
        ownerGroup: description.ownerGroup,
        vo: description.vo,
        credentials: null,
      };
      const outcome = await runJob({
        job,
        description,
        slot,
        backend,
        workDir: ctx.workDir,
        site: ctx.params.site,
        runner: chooseRunner(ctx),
        limits: localJobLimits(ctx, { maxWallSeconds: description.maxWallTime, cpuWork: null, memoryMB: slot.memoryLimitMB }),
        pilotEnv: ctx.env,
        siteEnv: siteEnvironment(ctx.params, ctx.env),
        logger: ctx.logger,
        native: ctx.native,
        shutdown: ctx.shutdown,
        keepJobDir: true,
        diracPayloads: diracPayloadConfig(ctx.params),
        localInputBase: path.dirname(path.resolve(file)),
      });
      writeStdout(
        `${JSON.stringify({ status: outcome.status, minorStatus: outcome.minorStatus, exitCode: outcome.exitCode, jobDir: outcome.jobDir, cpuSeconds: outcome.cpuSeconds, wallSeconds: outcome.wallSeconds })}\n`,
      );
      const signalCode = session.shutdown.exitCode();
      if (signalCode !== null) return signalCode;
      if (outcome.status === 'Done') return 0;
      return outcome.exitCode && outcome.exitCode > 0 ? outcome.exitCode : ExitCode.COMMAND_FAILED;
    } finally {
      await session.close();
    }
  },
};
