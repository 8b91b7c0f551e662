import { runCli, type SubcommandEntry } from './cli.js';
import { writeStderr } from './stdio.js';
import { ExitCode } from '../core/exit-codes.js';
import { holdStopSignalsUntilExit } from './signals.js';

/** The process around runCli: what both bundles' entry points do. */
export function startCli(subcommands: readonly SubcommandEntry[]): void {
  // Libraries may unref their timers (retry back-off, heartbeats); the pilot's own work must still
  // hold the process until it ends, or Node would exit 0 in the middle of a retry.
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  holdStopSignalsUntilExit();
  runCli(process.argv.slice(2), subcommands)
    .finally(() => clearInterval(keepAlive))
    .then(
      (code) => {
        // Exit now rather than when every handle closes: a keep-alive socket or a payload's stray
        // timer must not keep a finished pilot in its batch slot. Logs are written synchronously.
        process.exit(code);
      },
      (error: unknown) => {
        writeStderr(`pilot: internal error: ${String(error)}\n`);
        process.exit(ExitCode.INTERNAL);
      },
    );
}
