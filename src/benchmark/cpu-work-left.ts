import { accountedTime } from '../probes/batch/timeleft/fill-in.js';
import { completeUsage, type TimeLeftReport } from '../probes/batch/timeleft/index.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/** DIRAC renormalises by the CPU actually consumed only after an hour of it (TimeLeft.getTimeLeft). */
export const RENORMALISE_AFTER_CPU_SECONDS = 3600;

export interface CpuWorkLeftInput {
  /** From readTimeLeft; read it again before each match so "time used" is current. */
  timeLeft: TimeLeftReport;
  /** CPU power of one processor (DIRAC's CPUNormalizationFactor, HS06-like units). Must be > 0. */
  power: number;
  /**
   * Raw CPU seconds (user + system) consumed since the pilot started by the pilot and all
   * its payloads (DIRAC: os.times() of itself and children, minus the values at start). 0 when
   * unknown, which selects the plain formula, as DIRAC's Watchdog does.
   */
  cpuConsumed: number;
  /** Processors of the slot: used for DIRAC's fill-ins (CPU limit = wall limit x processors, ...). */
  processors: number;
  /**
   * Wall-clock seconds kept back for finishing jobs (DIRAC's StopMargin, #8745): never advertised,
   * so no job is matched into the time the pilot needs for uploads and final statuses. Default 0.
   */
  stopMarginSeconds?: number;
}

export interface CpuWorkLeft {
  /** Normalised CPU work left (power x seconds, e.g. HS06·s): what the matcher compares to a job's CPUTime. Never negative. */
  work: number;
  /** Seconds left in the accounted unit (limit − used), or the configured CPU seconds for the fallbacks. */
  secondsLeft: number;
  /** `renormalised`: (L − t) · power · cpuConsumed / t; `plain`: (L − t) · power; `configured`: seconds · power. */
  rule: 'renormalised' | 'plain' | 'configured';
  source: string;
}

/**
 * CPU work left in the slot, DIRAC's formula (TimeLeft.getTimeLeft). With (t, L) the time used
 * and its limit in the batch system's unit (wall clock for Slurm/HTCondor, CPU otherwise):
 *   after more than an hour of CPU consumed:  work = (L − t − m) · power · cpuConsumed / t
 *   otherwise:                                work = (L − t − m) · power
 * with m the StopMargin in the same unit (DIRAC #8745: the JobWrapper's finalisation time is
 * never advertised).
 * The first form corrects for batch systems whose counters are not in real seconds (scaled
 * CPU), using the real CPU the pilot measured itself. For the configuration fallbacks (queue
 * CPU time, MaxCPUTime) there is no batch counter: work = (configured seconds − cpuConsumed) · power.
 * Pure: same inputs, same answer.
 */
export function cpuWorkLeft(input: CpuWorkLeftInput): CpuWorkLeft {
  const { timeLeft, power, cpuConsumed, processors } = input;
  const margin = Number.isFinite(input.stopMarginSeconds) && (input.stopMarginSeconds ?? 0) > 0 ? (input.stopMarginSeconds as number) : 0;
  if (!(power > 0) || !Number.isFinite(power)) {
    throw new PilotError(ExitCode.COMMAND_FAILED, `CPU power (CPUNormalizationFactor) must be a positive number, got ${power}`);
  }
  const consumed = Number.isFinite(cpuConsumed) && cpuConsumed > 0 ? cpuConsumed : 0;
  if (!timeLeft.reported) {
    // Configured seconds are CPU seconds of the whole slot: the margin costs it on every processor.
    const secondsLeft = Math.max(0, timeLeft.secondsLeft - consumed - margin * Math.max(1, processors));
    return { work: secondsLeft * power, secondsLeft, rule: 'configured', source: timeLeft.source };
  }
  const usage = completeUsage(timeLeft.reported, processors, timeLeft.shutdownTime, timeLeft.readAt);
  if ('error' in usage) throw new PilotError(ExitCode.COMMAND_FAILED, usage.error);
  const { used, limit } = accountedTime(usage);
  // The margin is wall-clock time; a CPU-counting batch system spends it on every processor.
  const marginInUnit = usage.Unit === 'WallClock' ? margin : margin * Math.max(1, processors);
  const secondsLeft = limit - used - marginInUnit;
  const renormalise = used > 0 && consumed > RENORMALISE_AFTER_CPU_SECONDS;
  const work = renormalise ? (secondsLeft * power * consumed) / used : secondsLeft * power;
  return { work: Math.max(0, work), secondsLeft, rule: renormalise ? 'renormalised' : 'plain', source: usage.source };
}
