import type { Logger } from '../core/logger.js';
import type { Params } from './params.js';
import type { ProbeResult } from '../probes/types.js';
import type { Backend } from '../backend/types.js';
import type { NativeAddon } from '../native/types.js';
import type { SecretFiles } from '../payload/runner/secret-files.js';

/** CPU power per processor (HS06-like DB12 units) and where it came from. */
export interface CpuPower {
  power: number;
  source: string;
  raw?: number[];
}

/** Time left in the slot as the batch system (or configuration) tells it. */
export interface SlotTimeLeft {
  /** CPU work left, in DIRAC's units (seconds × power). */
  cpuWorkLeft: number;
  /** Wall-clock seconds left, when known. */
  wallSecondsLeft: number | null;
  source: string;
  /** Recomputes CPU work left after the pilot and its payloads consumed `cpuConsumed` seconds. */
  recompute?(cpuConsumedSeconds: number): Promise<number> | number;
}

/**
 * What pipeline commands share. Data flows one way: parameters → probe → resource description →
 * CPU work left → backend → jobs. Each command reads what earlier ones set and adds its own part.
 */
export interface PilotContext {
  readonly params: Params;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
  readonly workDir: string;
  readonly pilotStamp: string;
  /** The pilot's credential files, hidden from its payloads (set by the session; absent: none). */
  readonly secretFiles?: SecretFiles;
  readonly startedAt: Date;
  /** Aborted when the batch system signals the pilot to stop (SIGTERM, SIGINT, SIGUSR1, SIGXCPU). */
  readonly shutdown: AbortSignal;
  native: NativeAddon | null;
  probe?: ProbeResult;
  cpuPower?: CpuPower;
  timeLeft?: SlotTimeLeft;
  backend?: Backend;
  /** Set by a command that ends the pilot on purpose with a non-zero code (black hole, app failure). */
  outcome?: { exitCode: number; reason: string };
}

export interface PilotCommand {
  /** kebab-case name used in -X and pilot.json Commands. */
  readonly name: string;
  readonly description: string;
  /**
   * The command watches `ctx.shutdown` itself and reports before it returns (the job agents).
   * Any other command still running at the stop signal is abandoned there: nothing it does needs
   * reporting, and a start-up step stuck on a dead server must not hold the exit.
   */
  readonly watchesShutdown?: boolean;
  run(ctx: PilotContext): Promise<void>;
}
