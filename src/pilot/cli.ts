import { parseArgv, formatOptionsHelp, type ParsedArgv } from './argv.js';
import { PilotError, isPilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { stdoutFailure, writeStderr, writeStdout } from './stdio.js';

/** One `pilot <name>` subcommand. */
export interface Subcommand {
  readonly name: string;
  /** Extra help text after the option list. */
  readonly details?: string;
  run(parsed: ParsedArgv): Promise<number>;
}

/**
 * A subcommand as the dispatcher knows it before it is chosen: its name and summary, and how to
 * load it. Only the chosen one's code is initialised, which keeps `pilot version` and
 * `pilot probe` from paying for the job agent, the DiracX client and the legacy DIRAC stack.
 */
export interface SubcommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Subcommand>;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Why stdout could not be written, if it could not (stdio.ts). */
  stdoutFailure?: () => string | null;
}

const defaultIo: CliIo = {
  stdout: writeStdout,
  stderr: writeStderr,
  stdoutFailure,
};

export function mainHelp(subcommands: readonly SubcommandEntry[]): string {
  const width = Math.max(...subcommands.map((s) => s.name.length)) + 2;
  return [
    'Usage: pilot <command> [options]',
    '',
    'A DIRAC/DiracX pilot: probes the node, matches jobs, runs them under a watchdog, reports.',
    '',
    'Commands:',
    ...subcommands.map((s) => `  ${s.name.padEnd(width)}${s.summary}`),
    '',
    'Run `pilot <command> --help` for its options. Exit codes: docs/exit-codes.md.',
    '',
  ].join('\n');
}

export function subcommandHelp(entry: SubcommandEntry, sub: Subcommand): string {
  return [
    `Usage: pilot ${entry.name} [options]`,
    '',
    entry.summary,
    '',
    'Options:',
    formatOptionsHelp(),
    sub.details ? `\n${sub.details}` : '',
    '',
  ].join('\n');
}

/**
 * Dispatches `pilot <subcommand> …`. Expected failures (PilotError) print one line and exit
 * with their documented code; anything else is a bug: one line plus the stack with --debug.
 */
export async function runCli(argv: readonly string[], subcommands: readonly SubcommandEntry[], io: CliIo = defaultIo): Promise<number> {
  const code = await dispatch(argv, subcommands, io);
  // `pilot probe > /dev/full`: the result went nowhere, so the command did not do its job.
  const lost = io.stdoutFailure?.() ?? null;
  if (lost !== null && code === ExitCode.OK) {
    io.stderr(`pilot: could not write the output to stdout (${lost})\n`);
    return ExitCode.COMMAND_FAILED;
  }
  return code;
}

async function dispatch(argv: readonly string[], subcommands: readonly SubcommandEntry[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainHelp(subcommands));
    return name === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (name === '--version' || name === '-V') return runCli(['version', ...rest], subcommands, io);
  const entry = subcommands.find((s) => s.name === name);
  try {
    if (!entry) throw new PilotError(ExitCode.USAGE, `unknown command '${name}' (commands: ${subcommands.map((s) => s.name).join(', ')})`);
    const parsed = parseArgv(rest);
    const sub = await entry.load();
    if (parsed.help) {
      io.stdout(subcommandHelp(entry, sub));
      return ExitCode.OK;
    }
    if (parsed.positionals.length > 0) {
      throw new PilotError(ExitCode.USAGE, `unexpected argument '${parsed.positionals[0]}'`);
    }
    return await sub.run(parsed);
  } catch (error) {
    if (isPilotError(error)) {
      io.stderr(`pilot: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr(`pilot: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
    if (rest.includes('-d') || rest.includes('--debug')) io.stderr(`${(error as Error)?.stack ?? ''}\n`);
    return ExitCode.INTERNAL;
  }
}
