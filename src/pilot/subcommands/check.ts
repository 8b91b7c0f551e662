import type { Subcommand } from '../cli.js';
import { openSession } from './session.js';
import { runNodeChecks, formatCheckReport } from '../../checks/index.js';
import { probeSlot } from '../../commands/describe-resources.js';
import { connectBackend } from '../../commands/authenticate.js';
import { slotTimeLeft } from '../../commands/compute-cpu-work-left.js';
import { slotCpuPower } from '../../commands/measure-cpu-power.js';
import { writeStdout } from '../stdio.js';

/**
 * `pilot check`: the node validation a site admin runs by hand and the pipeline relies on.
 * The clock check needs a server (--diracx-url); the time-left check needs a CPU power, so it
 * runs when one is configured (--cpu-power-source config|mjf) to keep the check fast.
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
      if (p.diracxUrl) ctx.backend = await connectBackend(ctx).catch(() => undefined);
      const backend = ctx.backend;
      let timeLeft: number | null = null;
      if (p.cpuPowerSource === 'mjf' || p.cpuPowerSource === 'config' || p.cpuTime !== undefined) {
        const power = await slotCpuPower(ctx).catch(() => null);
        if (power) timeLeft = (await slotTimeLeft(ctx, power.power)).cpuWorkLeft;
      }
      const report = await runNodeChecks({
        workDir: ctx.workDir,
        minDiskMB: p.minDiskMB,
        cvmfsRepositories: p.requiredCvmfs,
        container: {
          runtime: p.apptainerBinary ?? probe.container.path ?? probe.container.runtime,
          image: p.containerImage,
          required: p.runner === 'apptainer',
        },
        ...(backend?.serverTime ? { serverTime: () => backend.serverTime!() } : {}),
        timeLeft,
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
