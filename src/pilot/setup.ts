import { existsSync, mkdirSync, accessSync, closeSync, constants as fsConstants, openSync, readSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ParsedArgv } from './argv.js';
import { paramsFromEnv, resolveParams, type Params, type RawParams } from './params.js';
import { readPilotJson, paramsFromPilotJson } from './pilot-json.js';
import { checkExecute, parseGenericOptions, paramsFromLocalConfig, parseUserEnvVariables } from './dirac-options.js';
import { UUID } from './options.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/**
 * Parameters for this run: defaults < pilot.json < environment < command line.
 * The pilot.json path and the keys that select its sections (CE, queue, setup, VO, grid CE type)
 * come from the command line and environment first, as in DIRAC's first pass.
 */
export async function loadParams(parsed: ParsedArgv, env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<Params> {
  const fromEnv = paramsFromEnv(env);
  const early: RawParams = { ...fromEnv, ...parsed.params };
  const explicitFile = early.pilotCFGFile as string | undefined;
  const file = explicitFile ?? join(cwd, 'pilot.json');
  let fromJson: RawParams = {};
  if (explicitFile !== undefined || existsSync(file)) {
    const json = await readPilotJson(file);
    fromJson = await paramsFromPilotJson(json, file, {
      ce: early.ce as string | undefined,
      queue: early.queue as string | undefined,
      setup: early.setup as string | undefined,
      vo: early.vo as string | undefined,
      gridCEType: early.gridCEType as string | undefined,
    });
  }
  // -o /Section/Key=value: the local configuration ranks between pilot.json and the environment.
  const generic = (early.genericOptions as string[] | undefined) ?? [];
  const fromLocalConfig =
    generic.length > 0 ? paramsFromLocalConfig(parseGenericOptions(generic, early.section as string | undefined)) : {};
  const params = await resolveParams(fromJson, fromLocalConfig, fromEnv, parsed.params);
  // Checked here, before anything runs, rather than when the first payload starts.
  checkExecute(params.execute);
  parseUserEnvVariables(params.userEnvVariables);
  return params;
}

/**
 * A pilot stamp: the given --pilotUUID, else 16 random hex characters (DiracX allows 1–32). DIRAC's
 * wrapper passes a 36-character uuid1 when the SiteDirector set no DIRAC_PILOT_STAMP: without its
 * dashes it is 32 hex characters, as SiteDirector stamps are.
 */
export function makePilotStamp(params: Params): string {
  if (params.pilotUUID && UUID.test(params.pilotUUID)) return params.pilotUUID.replace(/-/g, '');
  return params.pilotUUID ?? randomHex(8);
}

/**
 * Random bytes from the kernel, as hex. Read directly: loading node:crypto for 8 bytes costs a
 * read-only subcommand a few milliseconds of its start-up. Where /dev/urandom cannot be opened
 * (a stripped container), node:crypto is the fallback.
 */
function randomHex(bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, buffer, 0, bytes, null) === bytes) return buffer.toString('hex');
    } finally {
      closeSync(fd);
    }
  } catch {
    // fall through to node:crypto
  }
  const crypto = process.getBuiltinModule('node:crypto');
  return crypto.randomBytes(bytes).toString('hex');
}

/**
 * The work directory: --work-dir, else `pilot-<stamp>` under the batch scratch directory or the
 * current directory. Never $HOME. Created mode 0700 because credentials and sandboxes live in it.
 */
export function prepareWorkDir(params: Params, stamp: string, env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  const base = env._CONDOR_SCRATCH_DIR || cwd;
  const dir = resolve(params.workDir ?? join(base, `pilot-${stamp}`));
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, fsConstants.W_OK | fsConstants.X_OK);
  } catch (error) {
    throw new PilotError(
      ExitCode.WORKDIR,
      `work directory ${dir} is not usable: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
  return dir;
}
