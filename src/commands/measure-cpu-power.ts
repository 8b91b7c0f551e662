import type { PilotCommand, PilotContext } from '../pilot/context.js';
import { resolveCpuPower, type CpuPowerResult } from '../benchmark/cpu-power.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { slotProcessors } from './wiring.js';

/** The CPU power of one processor: the first source that has one (auto, the default), or DB12, MJF or configuration alone. */
export async function slotCpuPower(ctx: PilotContext): Promise<CpuPowerResult> {
  const p = ctx.params;
  switch (p.cpuPowerSource) {
    case 'config':
      if (p.cpuPower === undefined) throw new PilotError(ExitCode.USAGE, '--cpu-power-source=config needs --cpu-power');
      return resolveCpuPower({ source: 'config', value: p.cpuPower, logger: ctx.logger });
    case 'mjf':
      return resolveCpuPower({ source: 'mjf', env: ctx.env, logger: ctx.logger });
    case 'auto':
      return resolveCpuPower({
        source: 'auto',
        copies: p.processors ?? ctx.probe?.cpu.allocatedCpus ?? 1,
        correction: p.cpuNormalizationCorrection,
        logger: ctx.logger,
        env: ctx.env,
        // The site's own figure given as --cpu-power. (-o /LocalSite/CPUNormalizationFactor sets --cpu-power with the
        // 'config' source, src/pilot/dirac-options.ts: the same precedence, with no other source tried.)
        ...(p.cpuPower !== undefined ? { sitePower: { value: p.cpuPower, origin: '--cpu-power' } } : {}),
        ...(p.cpuPowerCache ? { cache: { file: p.cpuPowerCache } } : {}),
        python: { choice: p.db12Python, env: ctx.env },
        signal: ctx.shutdown,
      });
    case 'db12':
      return resolveCpuPower({
        source: 'db12',
        copies: slotProcessors(ctx),
        correction: p.cpuNormalizationCorrection,
        logger: ctx.logger,
        python: { choice: p.db12Python, env: ctx.env },
        signal: ctx.shutdown,
      });
  }
}

/** DIRAC's ConfigureCPURequirements, first half: the CPU power of one processor of this slot. */
export const measureCpuPower: PilotCommand = {
  name: 'measure-cpu-power',
  description: 'the CPU power: the site figure, MJF, the machine ad, the node cache, or a DB12 measurement',
  async run(ctx) {
    const result = await slotCpuPower(ctx);
    ctx.cpuPower = { power: result.power, source: result.source, ...(result.measurement ? { raw: result.measurement.raw } : {}) };
    ctx.logger.info(
      {
        power: result.power,
        source: result.source,
        detail: result.detail,
        ...(result.spread ? { spread: result.spread } : {}),
        ...(result.skipped ? { skipped: result.skipped } : {}),
      },
      `CPU power ${result.power} from ${result.source}${result.spread ? ` (standard error ${(result.spread.standardError * 100).toFixed(1)}%)` : ''}`,
    );
  },
};
