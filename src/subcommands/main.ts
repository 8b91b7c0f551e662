import type { SubcommandEntry } from '../pilot/cli.js';
import { startCli } from '../pilot/start.js';
import { SUBCOMMAND_SUMMARIES as S } from '../pilot/subcommand-list.js';

/** Every subcommand, each loaded on demand (see SubcommandEntry): the pilot-main bundle. */
export const SUBCOMMANDS: readonly SubcommandEntry[] = [
  { name: 'run', summary: S.run, load: async () => (await import('./run.js')).runSubcommand },
  { name: 'probe', summary: S.probe, load: async () => (await import('./probe.js')).probeSubcommand },
  { name: 'check', summary: S.check, load: async () => (await import('./check.js')).checkSubcommand },
  { name: 'timeleft', summary: S.timeleft, load: async () => (await import('./timeleft.js')).timeleftSubcommand },
  { name: 'benchmark', summary: S.benchmark, load: async () => (await import('./benchmark.js')).benchmarkSubcommand },
  { name: 'exec', summary: S.exec, load: async () => (await import('./exec.js')).execSubcommand },
  { name: 'version', summary: S.version, load: async () => (await import('./version.js')).versionSubcommand },
];

startCli(SUBCOMMANDS);
