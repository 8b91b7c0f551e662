import type { Subcommand } from '../pilot/cli.js';
import { openSession } from './session.js';
import { probeSlot } from '../commands/describe-resources.js';
import { readSlotTimeLeft } from '../commands/compute-cpu-work-left.js';
import { slotCpuPower } from '../commands/measure-cpu-power.js';
import { cpuWorkLeft } from '../benchmark/cpu-work-left.js';
import { slotProcessors } from '../commands/wiring.js';
import { formatTimeLeft } from '../probes/batch/timeleft/format.js';
import { formatCpuWorkLeft } from '../benchmark/format.js';
import { writeStdout } from '../pilot/stdio.js';

export const timeleftSubcommand: Subcommand = {
  name: 'timeleft',
  details:
    'The CPU power comes from --cpu-power-source (auto: the site figure, MJF, the machine ad, the node cache, else DB12: under CPython 3.11 when the node has it, about 4 s, else the JavaScript port, about 1.6 s; config needs --cpu-power).',
  async run(parsed) {
    const session = await openSession(parsed, { workDir: false, quietLogs: parsed.params.json === true });
    const { ctx } = session;
    try {
      const probe = await probeSlot(ctx);
      const report = await readSlotTimeLeft(ctx);
      const power = await slotCpuPower(ctx);
      const processors = slotProcessors({ params: ctx.params, probe });
      const work = cpuWorkLeft({ timeLeft: report, power: power.power, cpuConsumed: 0, processors });
      if (ctx.params.json) {
        writeStdout(
          `${JSON.stringify({ timeLeft: report, cpuPower: { power: power.power, source: power.source, detail: power.detail }, cpuWorkLeft: work, processors }, null, 2)}\n`,
        );
      } else {
        writeStdout(
          `${formatTimeLeft(report)}\nCPU power: ${power.power} (${power.source}: ${power.detail})\n${formatCpuWorkLeft(work)}\n`,
        );
      }
      return 0;
    } finally {
      await session.close();
    }
  },
};
