import { runCli, type Subcommand } from './cli.js';
import { runSubcommand } from './subcommands/run.js';
import { probeSubcommand } from './subcommands/probe.js';
import { checkSubcommand } from './subcommands/check.js';
import { timeleftSubcommand } from './subcommands/timeleft.js';
import { benchmarkSubcommand } from './subcommands/benchmark.js';
import { execSubcommand } from './subcommands/exec.js';
import { versionSubcommand } from './subcommands/version.js';

export const SUBCOMMANDS: readonly Subcommand[] = [
  runSubcommand, probeSubcommand, checkSubcommand, timeleftSubcommand, benchmarkSubcommand, execSubcommand, versionSubcommand,
];

// The entry point of dist/pilot.cjs and of the standalone executables.
// Libraries may unref their timers (retry back-off, heartbeats); the pilot's own work must still
// hold the process until it ends, or Node would exit 0 in the middle of a retry.
const keepAlive = setInterval(() => undefined, 2 ** 30);
runCli(process.argv.slice(2), SUBCOMMANDS).finally(() => clearInterval(keepAlive)).then(
  (code) => {
    // Exit now rather than when every handle closes: a keep-alive socket or a payload's stray
    // timer must not keep a finished pilot in its batch slot. Logs are written synchronously.
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`pilot: internal error: ${String(error)}\n`);
    process.exitCode = 70;
  },
);
