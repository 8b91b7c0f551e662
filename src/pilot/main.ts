import { runCli, type SubcommandEntry } from './cli.js';

/** The subcommands, loaded on demand (see SubcommandEntry). */
export const SUBCOMMANDS: readonly SubcommandEntry[] = [
  { name: 'run', summary: 'run the pilot pipeline: probe, measure, authenticate, register, run jobs', load: async () => (await import('./subcommands/run.js')).runSubcommand },
  { name: 'probe', summary: 'describe this slot (or a captured node with --sysroot): CPU, memory, GPUs, OS, batch allocation', load: async () => (await import('./subcommands/probe.js')).probeSubcommand },
  { name: 'check', summary: 'validate the node: work dir, /tmp, CVMFS, container runtime, user namespaces, GPUs, clock, time left', load: async () => (await import('./subcommands/check.js')).checkSubcommand },
  { name: 'timeleft', summary: 'time left in the batch allocation, and CPU work left (time left × CPU power), with sources', load: async () => (await import('./subcommands/timeleft.js')).timeleftSubcommand },
  { name: 'benchmark', summary: 'CPU power of one processor: DB12-compatible measurement (one copy per processor), MJF or configuration', load: async () => (await import('./subcommands/benchmark.js')).benchmarkSubcommand },
  { name: 'exec', summary: 'run one local job description (JDL or JSON) through the payload path, no server', load: async () => (await import('./subcommands/exec.js')).execSubcommand },
  { name: 'version', summary: 'print the pilot version, commit, embedded Node, architecture, native addon status', load: async () => (await import('./subcommands/version.js')).versionSubcommand },
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
    process.exit(70);
  },
);
