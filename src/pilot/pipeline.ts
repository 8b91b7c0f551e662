import { performance } from 'node:perf_hooks';
import type { PilotCommand, PilotContext } from './context.js';
import { PilotError, isPilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/**
 * DIRAC's command names map onto this pilot's commands, so a pilot.json written for the Python
 * pilot runs unchanged. Commands that only exist to install or configure DIRAC map to nothing:
 * there is nothing to install.
 */
export const DIRAC_COMMAND_ALIASES: Readonly<Record<string, readonly string[]>> = {
  CheckWorkerNode: ['check-worker-node'],
  InstallDIRAC: [],
  ConfigureBasics: [],
  RegisterPilot: ['authenticate', 'register-pilot'],
  CheckCECapabilities: ['describe-resources'],
  CheckWNCapabilities: ['describe-resources'],
  ConfigureSite: ['describe-resources'],
  ConfigureArchitecture: ['describe-resources'],
  ConfigureArchitectureWithoutCLI: ['describe-resources'],
  ConfigureCPURequirements: ['measure-cpu-power', 'compute-cpu-work-left'],
  LaunchAgent: ['authenticate', 'run-jobs'],
  // The pilot's version comes from pilot.json and -r; there is no pilot to check out.
  GetPilotVersion: [],
  // Site probes DIRAC uploads for Nagios: `pilot check` is this pilot's node check.
  NagiosProbes: [],
};

/**
 * Commands that exist only in VO extensions' pilot commands (pilot.json `Commands` of the LHCb
 * pilot, e.g.), by their name without the extension prefix. Extension versions of DIRAC's own
 * commands (`LHCbInstallDIRAC`, `LHCbConfigureBasics`) map as DIRAC's do.
 */
export const EXTENSION_COMMAND_ALIASES: Readonly<Record<string, readonly string[]>> = {
  // The probe finds the mounted CVMFS repositories; they become `cvmfs:<repo>` tags of the slot.
  AddCVMFSTags: ['describe-resources'],
};

/** `LHCbConfigureBasics` with extension LHCb: DIRAC's ConfigureBasics, as the extension overrides it. */
/** `table[name]` when the table itself holds it: command names come from -X and pilot.json. */
function ownAlias(table: Readonly<Record<string, readonly string[]>>, name: string): readonly string[] | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

function extensionAlias(name: string, extensions: readonly string[]): readonly string[] | undefined {
  for (const extension of extensions) {
    if (!extension || !name.startsWith(extension) || name.length === extension.length) continue;
    const core = name.slice(extension.length);
    const alias = ownAlias(DIRAC_COMMAND_ALIASES, core) ?? ownAlias(EXTENSION_COMMAND_ALIASES, core);
    if (alias) return alias;
  }
  return undefined;
}

/**
 * The extension names a pilot's commands may carry as a prefix: -E/--commandExtensions (and
 * pilot.json CommandExtensions), -e/--extraPackages and -l/--project, without a DIRAC suffix
 * (LHCbDIRAC is LHCb).
 */
export function extensionNames(p: {
  commandExtensions: readonly string[];
  extraPackages: readonly string[];
  releaseProject?: string | undefined;
}): string[] {
  const names = [...p.commandExtensions, ...p.extraPackages, ...(p.releaseProject ? [p.releaseProject] : [])]
    .map((n) => n.trim().replace(/(DIRAC|Pilot)$/, ''))
    .filter((n) => n.length > 0);
  return [...new Set(names)];
}

export const DEFAULT_PIPELINE = [
  'check-worker-node',
  'describe-resources',
  'measure-cpu-power',
  'compute-cpu-work-left',
  'authenticate',
  'register-pilot',
  'run-jobs',
] as const;

/**
 * Resolves command names (ours or DIRAC's) to commands, all before running any: an unknown name
 * ends the pilot at once with UNKNOWN_COMMAND rather than after half the pipeline ran.
 * A command named twice (DIRAC aliases overlap) runs once, at its first place.
 */
export function resolvePipeline(
  names: readonly string[],
  registry: ReadonlyMap<string, PilotCommand>,
  extensions: readonly string[] = [],
): PilotCommand[] {
  const out: PilotCommand[] = [];
  const seen = new Set<string>();
  for (const raw of names) {
    const name = raw.trim();
    // An own-property lookup: `-X constructor` must be an unknown command, not Object's constructor.
    const expanded = ownAlias(DIRAC_COMMAND_ALIASES, name) ?? extensionAlias(name, extensions) ?? [name];
    for (const one of expanded) {
      const command = registry.get(one);
      if (!command) {
        throw new PilotError(ExitCode.UNKNOWN_COMMAND, `unknown pipeline command '${name}' (known: ${[...registry.keys()].join(', ')})`);
      }
      if (!seen.has(one)) {
        seen.add(one);
        out.push(command);
      }
    }
  }
  return out;
}

export interface PipelineResult {
  exitCode: number;
  /** One entry per command that ran: name, milliseconds, and how it ended. */
  timings: { name: string; ms: number; ok: boolean }[];
  error?: string;
}

/** The command's own end, or 'stopped' at the stop signal (its later failure is then dropped). */
async function untilStopped(run: Promise<void>, shutdown: AbortSignal): Promise<'done' | 'stopped'> {
  if (shutdown.aborted) return 'stopped';
  let onAbort: () => void = () => undefined;
  const stopped = new Promise<'stopped'>((resolve) => {
    onAbort = () => resolve('stopped');
    shutdown.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([run.then(() => 'done' as const), stopped]);
  } finally {
    shutdown.removeEventListener('abort', onAbort);
    run.catch(() => undefined);
  }
}

/** Runs commands in order, each timed and logged; the first failure ends the pipeline. */
export async function runPipeline(ctx: PilotContext, commands: readonly PilotCommand[]): Promise<PipelineResult> {
  const timings: PipelineResult['timings'] = [];
  for (const command of commands) {
    if (ctx.shutdown.aborted) break;
    const log = ctx.logger.child({ cmd: command.name });
    const started = performance.now();
    log.debug('start');
    try {
      if (command.watchesShutdown) await command.run(ctx);
      else if ((await untilStopped(command.run(ctx), ctx.shutdown)) === 'stopped') {
        const ms = Math.round(performance.now() - started);
        timings.push({ name: command.name, ms, ok: false });
        log.warn({ ms }, 'abandoned at the stop signal');
        break;
      }
      const ms = Math.round(performance.now() - started);
      timings.push({ name: command.name, ms, ok: true });
      log.info({ ms }, 'done');
    } catch (error) {
      const ms = Math.round(performance.now() - started);
      timings.push({ name: command.name, ms, ok: false });
      const exitCode = isPilotError(error) ? error.exitCode : ExitCode.COMMAND_FAILED;
      const message = error instanceof Error ? error.message : String(error);
      if (!isPilotError(error)) log.debug({ stack: (error as Error)?.stack }, 'stack');
      log.error({ ms, exitCode }, `failed: ${message}`);
      return { exitCode, timings, error: `${command.name}: ${message}` };
    }
    if (ctx.outcome) break;
  }
  return { exitCode: ctx.outcome?.exitCode ?? ExitCode.OK, timings, ...(ctx.outcome ? { error: ctx.outcome.reason } : {}) };
}
