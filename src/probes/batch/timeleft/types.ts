import type { Logger } from '../../../core/logger.js';

/** How the batch system accounts the slot: by wall-clock time (Slurm, HTCondor) or CPU time. */
export type TimeUnit = 'CPU' | 'WallClock';

/**
 * What one batch-system source reports, in seconds (DIRAC's ResourceUsage dictionary).
 * A field is null when the source does not know it; fillInUsage (fill-in.ts) completes it
 * with DIRAC's rules once the processor count is known.
 */
export interface ResourceUsage {
  CPU: number | null;
  CPULimit: number | null;
  WallClock: number | null;
  WallClockLimit: number | null;
  Unit: TimeUnit;
  /** Which command or file gave the numbers, e.g. `slurm:scontrol`, `htcondor:job-ad`, `mjf`. */
  source: string;
}

/** ResourceUsage after the fill-ins: every number known. */
export interface CompleteUsage extends ResourceUsage {
  CPU: number;
  CPULimit: number;
  WallClock: number;
  WallClockLimit: number;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one batch-system command without a shell. Never throws for a failing command: a missing
 * binary or a timeout comes back as a non-zero exitCode with the reason in stderr, so every
 * source reports failures the same way. Tests pass a runner that replays captured outputs.
 */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options?: { env?: Record<string, string> },
) => Promise<CommandResult>;

/** Everything a source may look at; all of it injectable so parsers run on captured nodes. */
export interface SourceContext {
  env: Record<string, string | undefined>;
  jobId: string | null;
  run: CommandRunner;
  /** Reads a text file (MJF features, HTCondor job ad); rejects when unreadable. */
  readText: (path: string) => Promise<string>;
  /** Seconds since the epoch. */
  now: () => number;
  /** When the pilot started (seconds since the epoch): DIRAC's stand-in for an unknown time used. */
  pilotStartedAt: number;
  /** This host's name as the batch system knows it (SGE `qconf -se`). */
  hostname: string;
  logger: Logger;
}

/** One way of learning the time left; throws TimeLeftSourceError naming what went wrong. */
export interface TimeLeftSource {
  name: string;
  read(context: SourceContext): Promise<ResourceUsage>;
}

/** A source could not give usable numbers: the message says which and why, in one line. */
export class TimeLeftSourceError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'TimeLeftSourceError';
  }
}
