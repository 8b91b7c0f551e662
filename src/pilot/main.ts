import type { SubcommandEntry } from './cli.js';
import { startCli } from './start.js';
import { SUBCOMMAND_SUMMARIES as S } from './subcommand-list.js';

/** Every subcommand, each loaded on demand (see SubcommandEntry): the pilot-main bundle. */
export const SUBCOMMANDS: readonly SubcommandEntry[] = [
  { name: 'run', summary: S.run, load: async () => (await import('./subcommands/run.js')).runSubcommand },
  { name: 'probe', summary: S.probe, load: async () => (await import('./subcommands/probe.js')).probeSubcommand },
  { name: 'check', summary: S.check, load: async () => (await import('./subcommands/check.js')).checkSubcommand },
  { name: 'timeleft', summary: S.timeleft, load: async () => (await import('./subcommands/timeleft.js')).timeleftSubcommand },
  { name: 'benchmark', summary: S.benchmark, load: async () => (await import('./subcommands/benchmark.js')).benchmarkSubcommand },
  { name: 'exec', summary: S.exec, load: async () => (await import('./subcommands/exec.js')).execSubcommand },
  { name: 'version', summary: S.version, load: async () => (await import('./subcommands/version.js')).versionSubcommand },
];

startCli(SUBCOMMANDS);
