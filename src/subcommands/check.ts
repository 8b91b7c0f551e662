import type { Subcommand } from '../pilot/cli.js';
import { openSession } from './session.js';
import { runNodeChecks, formatCheckReport } from '../checks/index.js';
import { probeSlot } from '../commands/describe-resources.js';
import { connectBackend, readServerClock } from '../commands/authenticate.js';
import { slotTimeLeft } from '../commands/compute-cpu-work-left.js';
import { slotCpuPower } from '../commands/measure-cpu-power.js';
import { writeStdout } from '../pilot/stdio.js';
import { ExitCode } from '../core/exit-codes.js';

/**
 * `pilot check`: the node validation a site admin runs by hand and the pipeline relies on.
 * The clock check needs a server (--diracx-url), no credentials; time left is evaluated as `run`
 * would, with the CPU power `run` would use (DB12 by default: a few seconds).
 */
export const checkSubcommand: Subcommand = {
  name: 'check',
  details: 'Exit code: that of the first failed class (docs/exit-codes.md); 0 when every check passed or only warned.',
  async run(parsed) {
    const session = await openSession(parsed, { workDir: false, quietLogs: parsed.params.json === true });
    const { ctx } = session;
    const p = ctx.params;
    try {
      const probe = await probeSlot(ctx);
      if (p.diracxUrl) {
        ctx.backend = await connectBackend(ctx).catch((error: unknown) => {
          // A URL the pilot would refuse (plain HTTP off loopback) is a usage error here too.
          if ((error as { exitCode?: number }).exitCode === ExitCode.USAGE) throw error;
          return undefined;
        });
      }
      const backend = ctx.backend as { serverTime?: () => Promise<Date | null> } | undefined;
      // Without credentials the clock still has a reference: the Date of an unauthenticated reply.
      const serverTime = backend?.serverTime
        ? () => backend.serverTime!()
        : p.diracxUrl && p.backend === 'diracx'
          ? () => readServerClock(ctx)
          : undefined;
      // Time left is evaluated as `run` would (the batch system, else -T, else the configuration),
      // with the CPU power `run` would use: inside a Slurm job the slot's real limit counts.
      const power = await slotCpuPower(ctx).catch(() => null);
      const slot = power ? await slotTimeLeft(ctx, power.power) : null;
      const timeLeft = slot ? slot.cpuWorkLeft : null;
      const noTimeSource = slot?.source === 'config:maxCPUTime' && p.cpuTime === undefined;
      const report = await runNodeChecks({
        workDir: ctx.workDir,
        minDiskMB: p.minDiskMB,
        cvmfsRepositories: p.requiredCvmfs,
        container: {
          runtime: p.apptainerBinary ?? probe.container.path ?? probe.container.runtime,
          image: p.containerImage,
          required: p.runner === 'apptainer',
        },
        ...(serverTime ? { serverTime } : {}),
        timeLeft,
        ...(noTimeSource ? { timeLeftNote: 'no batch system found and no -T/--CPUTime given' } : {}),
        minTimeLeft: p.minimumTimeLeft,
        probe,
        env: ctx.env,
        logger: ctx.logger,
      });
      writeStdout(p.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheckReport(report));
      return report.exitCode;
    } finally {
      await session.close();
    }
  },
};
