import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { OPTIONS, type OptionSpec } from './options.js';
import { coerceOptionValue, type RawParams } from './params.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/**
 * pilot.json as DIRAC's PilotCStoJSONSynchronizer writes it, in both schemas: the old one with a
 * `Setups` key, the new one that mirrors the CS /Operations section with per-VO `Pilot` sections.
 * Only the parts the pilot reads are typed; everything else passes through untouched.
 */
function buildSchemas(z: Zod) {
  const stringOrList = z.union([z.string(), z.array(z.string())]);
  const ceQueue = z.object({ LocalCEType: z.string().optional() }).passthrough();
  const ceSchema = z
    .object({ Site: z.string().optional(), GridCEType: z.string().optional(), LocalCEType: z.string().optional() })
    .catchall(z.unknown());
  const pilotSection = z
    .object({
      Commands: z.record(stringOrList).optional(),
      CommandExtensions: stringOrList.optional(),
      Version: stringOrList.optional(),
      Project: z.string().optional(),
      RemoteLogging: z.union([z.boolean(), z.string()]).optional(),
      RemoteLoggerURL: z.string().optional(),
      RemoteLoggerCEsWhiteList: stringOrList.optional(),
      ConfigurationServer: stringOrList.optional(),
      PilotLogLevel: z.string().optional(),
      CVMFS_locations: stringOrList.optional(),
    })
    .passthrough();
  const file = z
    .object({
      timestamp: z.string().optional(),
      DefaultSetup: z.string().optional(),
      CEs: z.record(ceSchema).optional(),
      Setups: z.record(pilotSection).optional(),
      ConfigurationServers: stringOrList.optional(),
      GenericPilotDNs: stringOrList.optional(),
    })
    .passthrough();
  return { file, ceQueue, pilotSection };
}

type Zod = typeof z;

// zod and the schemas are loaded on first use: most starts (`pilot probe` in a directory without
// pilot.json) never read one (src/pilot/params.ts says why that matters).
let built: ReturnType<typeof buildSchemas> | undefined;
async function schemas(): Promise<ReturnType<typeof buildSchemas>> {
  return (built ??= buildSchemas((await import('zod')).z));
}

export type PilotJson = z.infer<ReturnType<typeof buildSchemas>['file']>;

export interface PilotJsonSelectors {
  ce?: string;
  queue?: string;
  setup?: string;
  vo?: string;
  gridCEType?: string;
}

/** Reads and validates a pilot.json file; every failure is one line with exit code CONFIG. */
export async function readPilotJson(file: string): Promise<PilotJson> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PilotError(ExitCode.CONFIG, `pilot.json ${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PilotError(ExitCode.CONFIG, `pilot.json ${file}: not valid JSON: ${(error as Error).message}`);
  }
  const parsed = (await schemas()).file.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PilotError(ExitCode.CONFIG, `pilot.json ${file}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`);
  }
  return parsed.data;
}

const asList = (value: string | string[]): string[] =>
  (Array.isArray(value) ? value : value.split(',')).map((s) => s.trim()).filter(Boolean);

/**
 * `record[key]` only when the record itself holds `key`: the keys come from the command line, the
 * environment and pilot.json (`-a constructor`, `-S __proto__`, `-N toString`), and a plain lookup
 * would return what every object inherits (a function, Object.prototype) instead of nothing.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string | undefined): T | undefined {
  if (record === undefined || record === null || key === undefined || typeof record !== 'object') return undefined;
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function section(root: Record<string, unknown>, path: string[]): Record<string, unknown> | undefined {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = ownValue(node as Record<string, unknown>, key);
  }
  return node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>) : undefined;
}

/**
 * The merged Pilot options for this pilot. New schema: `/Defaults/Pilot`, `/<setup>/Pilot`,
 * `/<vo>/Defaults/Pilot`, `/<vo>/<setup>/Pilot`, `/<vo>/Pilot`, later wins. Old schema:
 * `Setups/Defaults` then `Setups/<setup>`.
 */
export function pilotOptions(json: PilotJson, setup: string | undefined, vo: string | undefined): Record<string, unknown> {
  const root = json as Record<string, unknown>;
  const paths: string[][] = json.Setups
    ? [['Setups', 'Defaults'], ...(setup ? [['Setups', setup]] : [])]
    : [
        ['Defaults', 'Pilot'],
        ...(setup ? [[setup, 'Pilot']] : []),
        ...(vo ? [[vo, 'Defaults', 'Pilot']] : []),
        ...(vo && setup ? [[vo, setup, 'Pilot']] : []),
        ...(vo ? [[vo, 'Pilot']] : []),
      ];
  // No prototype: a "__proto__" key in a section is a key like any other, not the merged object's prototype.
  const merged: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const path of paths) Object.assign(merged, section(root, path) ?? {});
  return merged;
}

/** Parameters that pilot.json gives this pilot, given what the command line and environment chose. */
export async function paramsFromPilotJson(json: PilotJson, file: string, selectors: PilotJsonSelectors): Promise<RawParams> {
  const { ceQueue, pilotSection } = await schemas();
  const out: RawParams = {};
  const setup = selectors.setup ?? json.DefaultSetup;
  if (setup) out.setup = setup;
  if (json.ConfigurationServers !== undefined) out.configurationServers = asList(json.ConfigurationServers);

  const ce = ownValue(json.CEs, selectors.ce);
  if (ce) {
    if (ce.Site) out.site = ce.Site;
    if (ce.GridCEType) out.gridCEType = ce.GridCEType;
    if (ce.LocalCEType) out.ceType = ce.LocalCEType;
    const queue = selectors.queue ? ceQueue.safeParse(ownValue(ce, selectors.queue)) : undefined;
    if (queue?.success && queue.data.LocalCEType) out.ceType = queue.data.LocalCEType;
  }

  const opts = pilotSection.safeParse(pilotOptions(json, setup, selectors.vo));
  if (!opts.success) {
    const issue = opts.error.issues[0]!;
    throw new PilotError(ExitCode.CONFIG, `pilot.json ${file}: Pilot section: ${issue.path.join('.')}: ${issue.message}`);
  }
  const pilot = opts.data;
  const gridCEType = selectors.gridCEType ?? (out.gridCEType as string | undefined);
  const commands = ownValue(pilot.Commands, gridCEType ?? '') ?? ownValue(pilot.Commands, 'Defaults');
  if (commands !== undefined) out.commands = asList(commands);
  if (pilot.CommandExtensions !== undefined) out.commandExtensions = asList(pilot.CommandExtensions);
  if (pilot.Version !== undefined) {
    const first = asList(pilot.Version)[0];
    if (first) out.releaseVersion = first;
  }
  if (pilot.Project) out.releaseProject = pilot.Project;
  if (pilot.RemoteLogging !== undefined) out.pilotLogging = pilot.RemoteLogging === true || /^true$/i.test(String(pilot.RemoteLogging));
  if (pilot.RemoteLoggerURL) out.loggerURL = pilot.RemoteLoggerURL;
  // DIRAC ships pilot logs only from the CEs of the white list, when there is one.
  if (pilot.RemoteLoggerCEsWhiteList !== undefined && !asList(pilot.RemoteLoggerCEsWhiteList).includes(selectors.ce ?? ''))
    out.pilotLogging = false;
  // The old schema names the configuration servers in the Setups section.
  if (json.ConfigurationServers === undefined && pilot.ConfigurationServer !== undefined)
    out.configurationServers = asList(pilot.ConfigurationServer);
  if (pilot.PilotLogLevel?.toLowerCase() === 'debug') out.debug = true;
  if (pilot.CVMFS_locations !== undefined) out.cvmfsLocations = asList(pilot.CVMFS_locations);

  // Any pilot option may also be set in the Pilot section under its long name (e.g. PollingTime).
  for (const spec of OPTIONS as readonly OptionSpec[]) {
    const value = ownValue(pilot as Record<string, unknown>, spec.long);
    if (value === undefined || spec.long === 'commands') continue;
    const where = `pilot.json ${file}: ${spec.long}`;
    try {
      out[spec.key] = typeof value === 'string' ? coerceOptionValue(spec, value, where) : value;
    } catch (error) {
      throw new PilotError(ExitCode.CONFIG, (error as Error).message);
    }
  }
  return out;
}
