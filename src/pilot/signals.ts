import { constants as osConstants } from 'node:os';
import type { Logger } from '../core/logger.js';
import { ExitCode } from '../core/exit-codes.js';

/**
 * Signals that stop the pilot as a batch system's stop does: stop taking work, TERM the payloads,
 * give their jobs back, report, exit 128+N. Slurm sends TERM at the limit (USR1 or any other as
 * an early warning with --signal), HTCondor and PBS TERM, LSF USR2 or TERM, a CPU limit XCPU; a
 * closed terminal or ssh session of a hand-run pilot HUP; an alarm set by a wrapper ALRM; a
 * failing power supply PWR. Each of these would otherwise kill the pilot outright (Node keeps the
 * default action), with no final status, no reschedule, and payloads left running.
 */
export const STOP_SIGNALS = [
  'SIGTERM',
  'SIGINT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGXCPU',
  'SIGQUIT',
  'SIGHUP',
  'SIGALRM',
  'SIGVTALRM',
  'SIGPWR',
] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * Signals whose default action also terminates, but which say nothing about the slot: ignored
 * (with one log line), so that they cannot end the pilot without a report.
 *  - SIGXFSZ: a write past the file-size limit; ignored, the write fails with EFBIG where it is made.
 *  - SIGPROF: profiling timers; left alone when the pilot runs under V8's profiler (--cpu-prof,
 *    --prof), whose sampler delivers SIGPROF to its own handler: one of ours would replace it, and
 *    the profile would be lost and the pilot killed at exit (underProfiler).
 *  - SIGIO/SIGPOLL: asynchronous I/O readiness, which the pilot never asks for.
 *  - SIGSTKFLT: unused on Linux.
 * SIGPIPE is ignored by Node itself (a write to a closed pipe fails with EPIPE). Left with their
 * default action, on purpose: SIGKILL and SIGSTOP (cannot be caught), and the faults SIGSEGV,
 * SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS (the process state is not to be trusted; a
 * core dump is the useful outcome). docs/reliability.md, "Stop signals", lists them all.
 */
export const IGNORED_SIGNALS = ['SIGXFSZ', 'SIGPROF', 'SIGIO', 'SIGSTKFLT'] as const;

/** Sessions whose stop handlers are installed (holdStopSignalsUntilExit stands back while there are any). */
let activeSessions = 0;

/** Documented grace (docs/reliability.md): from the first stop signal to the exit, at most. Slurm's KillWait is 30 s. */
export const STOP_GRACE_MS = 20_000;
/** Reporting after a stop signal (statuses, reschedules) ends by then; what is left is spooled. */
export const STOP_REPORT_MS = 15_000;
/** Whatever still runs then, the pilot spools what it holds and exits 128+N (a margin inside the grace). */
export const STOP_FORCED_EXIT_MS = 19_000;

export interface ShutdownController {
  readonly signal: AbortSignal;
  /** The first stop signal received, if any. */
  received(): StopSignal | null;
  /** Epoch ms of the first stop signal, if any. */
  receivedAt(): number | null;
  /** Exit code for the signal received: 128 + its number, as shells report it. */
  exitCode(): number | null;
  /** Runs (synchronously, errors swallowed) just before a forced exit: spool what is undelivered. */
  beforeForcedExit(hook: () => void): void;
  dispose(): void;
}

export interface SignalHandlerOptions {
  /** After the first stop signal, exit this long later whatever still runs (default STOP_FORCED_EXIT_MS). */
  forcedExitMs?: number;
  exit?: (code: number) => void;
}

/**
 * Turns stop signals into an AbortSignal the pipeline, the job agent and every network call
 * watch: stop taking work, forward TERM to payloads, report, exit 128+N. A second signal does not
 * kill us early. Whatever the pilot is stuck in (a stalled filesystem, a call that ignores its
 * signal), it exits `forcedExitMs` after the first signal, inside the grace.
 */
export function installSignalHandlers(logger: Logger, options: SignalHandlerOptions = {}): ShutdownController {
  activeSessions++;
  let disposed = false;
  const controller = new AbortController();
  const forcedExitMs = options.forcedExitMs ?? STOP_FORCED_EXIT_MS;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let first: StopSignal | null = null;
  let firstAt: number | null = null;
  const hooks: Array<() => void> = [];
  const exitCode = () => (first === null ? null : ExitCode.SIGNAL_BASE + osConstants.signals[first]);
  const handlers = new Map<string, () => void>();
  for (const name of STOP_SIGNALS) {
    const handler = () => {
      if (first === null) {
        first = name;
        firstAt = Date.now();
        logger.warn({ signal: name }, `received ${name}: stopping, reporting running jobs`);
        setTimeout(() => {
          for (const hook of hooks) {
            try {
              hook();
            } catch (error) {
              logger.error({ err: (error as Error).message }, 'before the forced exit');
            }
          }
          logger.error({ signal: name, afterMs: forcedExitMs }, `still running ${forcedExitMs} ms after ${name}: exiting now`);
          exit(exitCode()!);
        }, forcedExitMs);
        controller.abort(new Error(`received ${name}`));
      } else {
        logger.warn({ signal: name }, `received ${name} again: already stopping`);
      }
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  for (const name of IGNORED_SIGNALS) {
    if (name === 'SIGPROF' && underProfiler()) continue;
    let logged = false;
    const handler = () => {
      if (!logged) logger.warn({ signal: name }, `received ${name}: ignored`);
      logged = true;
    };
    handlers.set(name, handler);
    process.on(name, handler);
  }
  return {
    signal: controller.signal,
    received: () => first,
    receivedAt: () => firstAt,
    exitCode,
    beforeForcedExit: (hook) => hooks.push(hook),
    dispose: () => {
      // The forced exit stays armed: whatever runs after dispose (closing the backend) must not hang either.
      for (const [name, handler] of handlers) process.off(name, handler);
      if (!disposed) activeSessions--;
      disposed = true;
    },
  };
}

/**
 * From the start of the process to its exit: a stop signal that comes after the session's own
 * handlers are gone (the pilot has decided its exit code and is closing) must not kill the pilot
 * with the default action and turn that code into "killed by SIGTERM" (seen: a pilot ending 22 for
 * a TLS refusal killed by a SIGTERM 49 ms before its exit). While the session's handlers are
 * installed these listeners do nothing; after, the decided exit stands, and a pilot still alive
 * `forcedExitMs` later exits 128+N. Returns the function that removes them (tests).
 */
export function holdStopSignalsUntilExit(
  exit: (code: number) => void = (code) => process.exit(code),
  forcedExitMs = STOP_FORCED_EXIT_MS,
): () => void {
  let armed = false;
  const handlers = STOP_SIGNALS.map((name) => {
    const handler = () => {
      if (armed || activeSessions > 0) return; // the session's handler has it
      armed = true;
      setTimeout(() => exit(ExitCode.SIGNAL_BASE + osConstants.signals[name]), forcedExitMs).unref();
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return () => {
    for (const [name, handler] of handlers) process.off(name, handler);
  };
}

/** Whether V8's sampling profiler runs in this process (a site admin or a bench profiling the pilot). */
export function underProfiler(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => /^--(cpu-)?prof(=|$)/.test(arg));
}

/** Whether `name` is one of the signals that stop the pilot. */
export function isStopSignal(name: string): name is StopSignal {
  return (STOP_SIGNALS as readonly string[]).includes(name);
}
