import { OPTIONS, type OptionSpec } from './options.js';
import { CONTEXT_DEFAULTS } from './defaults.js';
import { coerceOptionValue, type RawParams } from './params.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

export interface ParsedArgv {
  /** Options given, typed by the option table. */
  params: RawParams;
  help: boolean;
  /** Positional arguments left over (subcommands take none today; kept for errors). */
  positionals: string[];
}

const byLong = new Map<string, OptionSpec>();
const byShort = new Map<string, OptionSpec>();
for (const spec of OPTIONS as readonly OptionSpec[]) {
  byLong.set(spec.long, spec);
  for (const alias of spec.aliases ?? []) byLong.set(alias, spec);
  if (spec.short) byShort.set(spec.short, spec);
}

function takesValue(spec: OptionSpec): boolean {
  return spec.type !== 'flag';
}

/**
 * Parses options the way DIRAC's pilot (getopt) accepts them: `--long=value`, `--long value`,
 * `-s value`, `-svalue`, flags, `--` to stop. Unknown options and missing values are usage errors
 * (exit code 2) with one line naming the option.
 */
export function parseArgv(argv: readonly string[]): ParsedArgv {
  const params: RawParams = {};
  const positionals: string[] = [];
  let help = false;

  const assign = (spec: OptionSpec, text: string | undefined, shown: string): void => {
    if (spec.type === 'flag') {
      params[spec.key] = text === undefined ? true : coerceOptionValue(spec, text, shown);
      return;
    }
    if (text === undefined) throw new PilotError(ExitCode.USAGE, `${shown}: missing value`);
    const value = coerceOptionValue(spec, text, shown);
    if (spec.type === 'repeat' || spec.type === 'append') {
      const previous = (params[spec.key] as string[] | undefined) ?? [];
      params[spec.key] = [...previous, ...(value as string[])];
    } else {
      params[spec.key] = value;
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      const spec = byLong.get(name);
      if (!spec) throw new PilotError(ExitCode.USAGE, `unknown option --${name} (see --help)`);
      let text: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
      if (text === undefined && takesValue(spec)) {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith('-') && next.length > 1 && !/^-\d/.test(next))) {
          throw new PilotError(ExitCode.USAGE, `--${name}: missing value`);
        }
        text = next;
        i++;
      }
      assign(spec, text, `--${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      const letter = arg[1]!;
      const spec = byShort.get(letter);
      if (!spec) throw new PilotError(ExitCode.USAGE, `unknown option -${letter} (see --help)`);
      if (!takesValue(spec)) {
        if (arg.length > 2) throw new PilotError(ExitCode.USAGE, `-${letter} takes no value, got '${arg}'`);
        assign(spec, undefined, `-${letter}`);
        continue;
      }
      const text: string | undefined = arg.length > 2 ? arg.slice(2) : argv[++i];
      if (text === undefined) throw new PilotError(ExitCode.USAGE, `-${letter}: missing value`);
      assign(spec, text, `-${letter}`);
      continue;
    }
    positionals.push(arg);
  }
  return { params, help, positionals };
}

/**
 * "(default X)" from the option's default value, or the wording of its contextual default.
 * Empty defaults (no tags, no CE name, a flag off) say nothing.
 */
export function describeDefault(spec: OptionSpec): string | null {
  if (spec.contextual) return CONTEXT_DEFAULTS[spec.key as keyof typeof CONTEXT_DEFAULTS] ?? null;
  const value: unknown = spec.default;
  if (value === undefined || value === '' || value === false) return null;
  if (Array.isArray(value)) return value.length > 0 ? value.join(',') : null;
  if (typeof value === 'object' && value !== null) return Object.keys(value).length > 0 ? JSON.stringify(value) : null;
  if (value === true) return spec.origin === 'dirac' ? 'True' : 'on';
  return String(value);
}

/** `-n, --name=SITE   DIRAC site name (default Unknown)  [env DIRAC_SITE]` lines for --help. */
export function formatOptionsHelp(specs: readonly OptionSpec[] = OPTIONS): string {
  const rows = specs.map((spec) => {
    const value = spec.type === 'flag' ? '' : `=${spec.value ?? 'VALUE'}`;
    const left = `${spec.short ? `-${spec.short}, ` : '    '}--${spec.long}${value}`;
    const fallback = describeDefault(spec);
    const env = spec.env ? `  [env ${spec.env}]` : '';
    return { left, right: `${spec.help}${fallback === null ? '' : ` (default ${fallback})`}${env}` };
  });
  const width = Math.min(44, Math.max(...rows.map((r) => r.left.length)) + 2);
  return rows.map((r) => `  ${r.left.padEnd(width)}${r.right}`).join('\n');
}
