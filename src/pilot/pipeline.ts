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
  ConfigureCPURequirements: ['measure-cpu-power', 'compute-cpu-work-left'],
  LaunchAgent: ['authenticate', 'run-jobs'],
};

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
export function resolvePipeline(names: readonly string[], registry: ReadonlyMap<string, PilotCommand>): PilotCommand[] {
  const out: PilotCommand[] = [];
  const seen = new Set<string>();
  for (const raw of names) {
    const name = raw.trim();
    const expanded = DIRAC_COMMAND_ALIASES[name] ?? [name];
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

/** Runs commands in order, each timed and logged; the first failure ends the pipeline. */
export async function runPipeline(ctx: PilotContext, commands: readonly PilotCommand[]): Promise<PipelineResult> {
  const timings: PipelineResult['timings'] = [];
  for (const command of commands) {
    if (ctx.shutdown.aborted) break;
    const log = ctx.logger.child({ cmd: command.name });
    const started = performance.now();
    log.debug('start');
    try {
      await command.run(ctx);
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
