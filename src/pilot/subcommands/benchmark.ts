import type { Subcommand } from '../cli.js';
import { openSession } from './session.js';
import { probeSlot } from '../../commands/describe-resources.js';
import { slotCpuPower } from '../../commands/measure-cpu-power.js';
import { benchmarkToJson, formatBenchmark } from '../../benchmark/format.js';
import { writeStdout } from '../stdio.js';

export const benchmarkSubcommand: Subcommand = {
  name: 'benchmark',
  async run(parsed) {
    const session = await openSession(parsed, { workDir: false, quietLogs: parsed.params.json === true });
    const { ctx } = session;
    try {
      if (ctx.params.processors === undefined && ctx.params.cpuPowerSource === 'db12') {
        await probeSlot(ctx);
      }
      const result = await slotCpuPower(ctx);
      writeStdout(ctx.params.json ? `${JSON.stringify(benchmarkToJson(result), null, 2)}\n` : formatBenchmark(result));
      return 0;
    } finally {
      await session.close();
    }
  },
};
