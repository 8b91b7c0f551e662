import { constants as osConstants } from 'node:os';
import type { Logger } from '../core/logger.js';
import { ExitCode } from '../core/exit-codes.js';

/** Signals a batch system sends before it kills a slot (Slurm TERM at the limit, USR1 as warning, XCPU at the CPU limit). */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGUSR1', 'SIGXCPU', 'SIGQUIT'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export interface ShutdownController {
  readonly signal: AbortSignal;
  /** The first stop signal received, if any. */
  received(): StopSignal | null;
  /** Exit code for the signal received: 128 + its number, as shells report it. */
  exitCode(): number | null;
  dispose(): void;
}

/**
 * Turns stop signals into an AbortSignal the pipeline and the job agent watch: stop taking work,
 * forward TERM to payloads, report, exit 128+N. A second signal does not kill us early: the job
 * agent has its own hard deadline well inside Slurm's 30 s KillWait.
 */
export function installSignalHandlers(logger: Logger): ShutdownController {
  const controller = new AbortController();
  let first: StopSignal | null = null;
  const handlers = new Map<StopSignal, () => void>();
  for (const name of STOP_SIGNALS) {
    const handler = () => {
      if (first === null) {
        first = name;
        logger.warn({ signal: name }, `received ${name}: stopping, reporting running jobs`);
        controller.abort(new Error(`received ${name}`));
      } else {
        logger.warn({ signal: name }, `received ${name} again: already stopping`);
      }
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  return {
    signal: controller.signal,
    received: () => first,
    exitCode: () => (first === null ? null : ExitCode.SIGNAL_BASE + osConstants.signals[first]),
    dispose: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
