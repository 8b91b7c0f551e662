import { cpus } from 'node:os';
import type { Subcommand } from '../pilot/cli.js';
import { openSession } from './session.js';
import { probeSlot } from '../commands/describe-resources.js';
import { slotCpuPower } from '../commands/measure-cpu-power.js';
import { resolveCpuPower } from '../benchmark/cpu-power.js';
import { CACHE_SHAPE, cacheEntryFrom, writePowerCache } from '../benchmark/power-cache.js';
import { CACHE_PYTHON_SHAPE } from '../benchmark/db12-python.js';
import { benchmarkToJson, formatBenchmark } from '../benchmark/format.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { writeStdout } from '../pilot/stdio.js';

export const benchmarkSubcommand: Subcommand = {
  name: 'benchmark',
  async run(parsed) {
    const session = await openSession(parsed, { workDir: false, quietLogs: parsed.params.json === true });
    const { ctx } = session;
    const p = ctx.params;
    try {
      if (p.processors === undefined && (p.cpuPowerSource === 'db12' || p.cpuPowerSource === 'auto' || p.saveCpuPowerCache)) {
        await probeSlot(ctx);
      }
      let result;
      if (p.saveCpuPowerCache) {
        // The site's long measurement for later pilots (docs/cpu-work-left.md, "The node cache").
        if (!p.cpuPowerCache) throw new PilotError(ExitCode.USAGE, '--save-cpu-power-cache needs --cpu-power-cache=FILE');
        result = await resolveCpuPower({
          source: 'db12',
          copies: p.processors ?? ctx.probe?.cpu.allocatedCpus ?? 1,
          correction: p.cpuNormalizationCorrection,
          logger: ctx.logger,
          shape: CACHE_SHAPE,
          python: { choice: p.db12Python, env: ctx.env, shape: CACHE_PYTHON_SHAPE },
          signal: ctx.shutdown,
        });
        try {
          writePowerCache(p.cpuPowerCache, cacheEntryFrom(result.measurement!, cpus().length));
        } catch (error) {
          throw new PilotError(ExitCode.CONFIG, `cannot write the CPU power cache: ${(error as Error).message}`);
        }
        result = { ...result, detail: `${result.detail}; saved to ${p.cpuPowerCache}` };
      } else {
        result = await slotCpuPower(ctx);
      }
      writeStdout(p.json ? `${JSON.stringify(benchmarkToJson(result), null, 2)}\n` : formatBenchmark(result));
      return 0;
    } finally {
      await session.close();
    }
  },
};
