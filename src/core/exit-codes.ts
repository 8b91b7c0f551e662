/**
 * The pilot's exit codes: one number per class of failure, so a CE or a site admin can tell
 * from the batch system's accounting why a pilot ended. docs/exit-codes.md is the table users read;
 * tests check the two agree.
 */
export const ExitCode = {
  /** Normal end: no more work, time left too low, drain file, MaxCycles. */
  OK: 0,
  /** A pipeline command failed for a reason not covered below. */
  COMMAND_FAILED: 1,
  /** Bad command line, unknown option, malformed value. */
  USAGE: 2,
  /** pilot.json unreadable, not JSON, or not matching its schema. */
  CONFIG: 3,
  /** Unknown command in -X or pilot.json Commands. */
  UNKNOWN_COMMAND: 4,
  /** Work directory missing, not writable, or below the minimum free disk. */
  WORKDIR: 10,
  /** Node validation (`pilot check`) failed: see the per-check codes in docs/exit-codes.md. */
  NODE_CHECK: 11,
  /** /tmp not usable. */
  TMP: 12,
  /** A required CVMFS repository is missing or unreadable. */
  CVMFS: 13,
  /** The container runtime is missing or cannot run a trivial container. */
  CONTAINER: 14,
  /** GPUs not visible or not matching the allocation. */
  GPU: 15,
  /** Clock skewed against the server. */
  CLOCK: 16,
  /** Time left in the slot below the minimum. */
  TIME_LEFT: 17,
  /** Credentials missing, unreadable, or with unsafe permissions. */
  CREDENTIALS: 20,
  /** Server refused our credentials (401/403 after refresh, revoked token). */
  AUTH_REFUSED: 21,
  /** TLS failure: CA not trusted, bad certificate, expired proxy. */
  TLS: 22,
  /** Server unreachable (connection refused, DNS, timeouts) after retries. */
  SERVER_UNREACHABLE: 23,
  /** Server replied with something that does not match its schema. */
  SERVER_PROTOCOL: 24,
  /** Black-hole protection: too many consecutive jobs failed for node reasons. */
  BLACK_HOLE: 30,
  /** Executable built for a platform this node does not meet (glibc, kernel). */
  PLATFORM: 40,
  /** Internal error: a bug. The log has the stack trace. */
  INTERNAL: 70,
  /** Signals: 128 + N, as shells report them (SIGINT 130, SIGUSR1 138, SIGTERM 143, SIGXCPU 152). */
  SIGNAL_BASE: 128,
} as const;

/** An exit code for a stop signal N: 128 + N. Only `signalExitCode` makes one. */
export type SignalExitCode = number & { readonly signalExitCode: true };

/** The exit code of a pilot stopped by signal number `signal` (SIGTERM 15 → 143), as shells report it. */
export function signalExitCode(signal: number): SignalExitCode {
  return (ExitCode.SIGNAL_BASE + signal) as SignalExitCode;
}

/**
 * One of the documented codes (docs/exit-codes.md): a named class of failure, or 128 + N for a
 * signal. A bare number is refused, so no code outside the table can be raised by mistake.
 */
export type ExitCode = Exclude<(typeof ExitCode)[keyof typeof ExitCode], typeof ExitCode.SIGNAL_BASE> | SignalExitCode;
