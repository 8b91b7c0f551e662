import type { PilotCommand, PilotContext, SlotTimeLeft } from '../pilot/context.js';
import { readTimeLeft, type TimeLeftReport } from '../probes/batch/timeleft/index.js';
import { cpuWorkLeft } from '../benchmark/cpu-work-left.js';
import { describe } from './describe-resources.js';

/** The slot's time left: -T wins (as DIRAC's -T/--CPUTime does), else the batch system chain. */
export async function slotTimeLeftReport(ctx: PilotContext): Promise<TimeLeftReport> {
  const p = ctx.params;
  if (p.cpuTime !== undefined) {
    return { CPU: 0, CPULimit: p.cpuTime, WallClock: 0, WallClockLimit: p.cpuTime, Unit: 'CPU', source: 'option -T/--CPUTime' };
  }
  return readTimeLeft({
    env: ctx.env,
    batch: ctx.probe?.batch ?? null,
    config: {
      ...(p.queueCPUTime !== undefined ? { queueCPUTime: p.queueCPUTime } : {}),
      maxCPUTime: p.maxCPUTime,
    },
    logger: ctx.logger,
  });
}

/**
 * Builds the slot's CPU-work-left function from one time-left reading: later calls advance the
 * clock by the time elapsed since, and scale by the CPU the pilot and its payloads consumed,
 * with DIRAC's formula (dirac-pilot.md §3). One source of truth, as DIRAC PR #8479 asks.
 */
export function slotTimeLeft(report: TimeLeftReport, power: number, processors: number): SlotTimeLeft {
  const readAt = Date.now();
  const advanced = (): TimeLeftReport => {
    const elapsed = (Date.now() - readAt) / 1000;
    return { ...report, WallClock: report.WallClock + elapsed, CPU: report.CPU + elapsed * (report.Unit === 'CPU' ? processors : 1) };
  };
  const initial = cpuWorkLeft({ timeLeft: report, power, cpuConsumed: 0, processors });
  const wallLeft = report.WallClockLimit > 0 ? Math.max(0, report.WallClockLimit - report.WallClock) : null;
  return {
    cpuWorkLeft: initial,
    wallSecondsLeft: wallLeft,
    source: report.source,
    recompute: (cpuConsumed) => cpuWorkLeft({ timeLeft: advanced(), power, cpuConsumed, processors }),
  };
}

/** DIRAC's ConfigureCPURequirements, second half: CPU work left = time left × CPU power. */
export const computeCpuWorkLeft: PilotCommand = {
  name: 'compute-cpu-work-left',
  description: 'read the time left in the batch allocation and compute CPU work left',
  async run(ctx) {
    const report = await slotTimeLeftReport(ctx);
    const power = ctx.cpuPower?.power ?? 1;
    const processors = ctx.params.processors ?? ctx.probe?.cpu.allocatedCpus ?? 1;
    ctx.timeLeft = slotTimeLeft(report, power, processors);
    ctx.logger.info({ cpuWorkLeft: Math.round(ctx.timeLeft.cpuWorkLeft), wallLeft: ctx.timeLeft.wallSecondsLeft, source: report.source }, 'CPU work left');
    describe(ctx);
  },
};
