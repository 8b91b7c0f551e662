import type { PilotCommand, PilotContext, SlotTimeLeft } from '../pilot/context.js';
import { readTimeLeft, type TimeLeftReport } from '../probes/batch/timeleft/index.js';
import { cpuWorkLeft } from '../benchmark/cpu-work-left.js';
import { slotProcessors } from './wiring.js';

/**
 * The slot's time left now. -T/--CPUTime wins, as in DIRAC, and is then the only source;
 * otherwise the batch system's sources in DIRAC's order, the queue's configured time, MaxCPUTime.
 */
export async function readSlotTimeLeft(ctx: PilotContext): Promise<TimeLeftReport> {
  const p = ctx.params;
  if (p.cpuTime !== undefined) {
    const report = await readTimeLeft({
      env: {},
      batch: null,
      config: { maxCPUTime: p.cpuTime },
      logger: ctx.logger,
      processors: slotProcessors(ctx),
    });
    return { ...report, source: CPU_TIME_OPTION_SOURCE, attempts: [] };
  }
  return readTimeLeft({
    env: ctx.env,
    batch: ctx.probe?.batch ?? null,
    config: { ...(p.queueCPUTime !== undefined ? { queueCPUTime: p.queueCPUTime } : {}), maxCPUTime: p.maxCPUTime },
    logger: ctx.logger,
    processors: slotProcessors(ctx),
    pilotStartedAt: ctx.startedAt.getTime() / 1000,
  });
}

const CPU_TIME_OPTION_SOURCE = 'option -T/--CPUTime';

/**
 * Wall-clock seconds left, when the source counts wall clock. With only -T the pilot was told how
 * long it has: that, less what has passed since it started (not 0, which says "no time").
 */
function wallSecondsLeft(report: TimeLeftReport, startedAtMs: number): number | null {
  const usage = report.usage;
  if (!usage && report.source === CPU_TIME_OPTION_SOURCE) return Math.max(0, report.secondsLeft - (Date.now() - startedAtMs) / 1000);
  if (!usage || !(usage.WallClockLimit > 0)) return null;
  return Math.max(0, usage.WallClockLimit - usage.WallClock);
}

/**
 * One source of truth for CPU work left (DIRAC PR #8479): every recomputation reads the batch
 * system again, so "time used" is current, and applies DIRAC's formula with the CPU the pilot and
 * its payloads consumed.
 */
export async function slotTimeLeft(ctx: PilotContext, power: number): Promise<SlotTimeLeft> {
  const processors = slotProcessors(ctx);
  const first = await readSlotTimeLeft(ctx);
  const initial = cpuWorkLeft({ timeLeft: first, power, cpuConsumed: 0, processors, stopMarginSeconds: ctx.params.stopMargin });
  const state: SlotTimeLeft = {
    cpuWorkLeft: initial.work,
    wallSecondsLeft: wallSecondsLeft(first, ctx.startedAt.getTime()),
    source: first.source,
    recompute: async (cpuConsumed) => {
      const report = await readSlotTimeLeft(ctx);
      const now = cpuWorkLeft({ timeLeft: report, power, cpuConsumed, processors, stopMarginSeconds: ctx.params.stopMargin });
      state.cpuWorkLeft = now.work;
      state.wallSecondsLeft = wallSecondsLeft(report, ctx.startedAt.getTime());
      return now.work;
    },
  };
  return state;
}

/** DIRAC's ConfigureCPURequirements, second half: CPU work left = time left × CPU power. */
export const computeCpuWorkLeft: PilotCommand = {
  name: 'compute-cpu-work-left',
  description: 'read the time left in the batch allocation and compute CPU work left',
  async run(ctx) {
    ctx.timeLeft = await slotTimeLeft(ctx, ctx.cpuPower?.power ?? 1);
    ctx.logger.info(
      { cpuWorkLeft: Math.round(ctx.timeLeft.cpuWorkLeft), wallLeft: ctx.timeLeft.wallSecondsLeft, source: ctx.timeLeft.source },
      'CPU work left',
    );
  },
};
