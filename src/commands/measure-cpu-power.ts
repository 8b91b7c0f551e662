import type { PilotCommand } from '../pilot/context.js';
import { resolveCpuPower } from '../benchmark/index.js';
import { describe } from './describe-resources.js';

/** DIRAC's ConfigureCPURequirements, first half: the CPU power of one processor of this slot. */
export const measureCpuPower: PilotCommand = {
  name: 'measure-cpu-power',
  description: 'measure the CPU power (DB12), or take it from MJF or configuration',
  async run(ctx) {
    const p = ctx.params;
    const result = await resolveCpuPower({
      source: p.cpuPowerSource,
      copies: p.processors ?? ctx.probe?.cpu.allocatedCpus ?? 1,
      correction: p.cpuNormalizationCorrection,
      ...(p.cpuPower !== undefined ? { configured: p.cpuPower } : {}),
      env: ctx.env,
      logger: ctx.logger,
    });
    ctx.cpuPower = { power: result.power, source: result.source, ...(result.raw ? { raw: result.raw } : {}) };
    ctx.logger.info({ power: result.power, source: result.source }, 'CPU power');
    describe(ctx);
  },
};
