import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { OPTIONS, type OptionSpec, type Params } from './options.js';
import { coerceOptionValue, type RawParams } from './params.js';

/**
 * What the DIRAC pilot's options that have no direct counterpart here mean for this pilot
 * (docs/site-admin.md, "DIRAC pilot options"): the generic `-o` options, the user environment
 * variables, the `-x` command, and the options that only install DIRAC.
 */

/** `-o` options: `/Section/Key=value` paths of the local configuration, and bare words kept as flags. */
export interface LocalConfig {
  values: Record<string, string>;
  flags: string[];
}

/** Bare `-o` words the DIRAC pilot and its VO extensions read, and what each means here. */
export const KNOWN_FLAGS: Readonly<Record<string, string>> = {
  cvmfsOnly: 'DIRAC: fail rather than install DIRAC when CVMFS has none; here nothing is ever installed',
  diracInstallOnly: 'DIRAC: install DIRAC locally instead of using CVMFS; here nothing is ever installed',
  lbRunOnly: 'LHCb: run applications through lb-run only; passed on to jobs (DIRAC_PILOT_FLAGS)',
};

const PATH_KEY = /^\/?[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/;

/**
 * Reads `-o` values as DIRAC's dirac-configure does: `Path=value`, where a path without a leading
 * `/` is relative to `-s/--section` (the root when none); a word without `=` is a flag.
 */
export function parseGenericOptions(options: readonly string[], section?: string): LocalConfig {
  const values: Record<string, string> = {};
  const flags: string[] = [];
  const base = section ? `/${section.replace(/^\/+|\/+$/g, '')}` : '';
  for (const raw of options) {
    const text = raw.trim();
    const eq = text.indexOf('=');
    if (eq === -1) {
      if (!/^[A-Za-z0-9_.-]+$/.test(text)) throw usage(`-o '${raw}': expected /Section/Key=value or a word`);
      if (!flags.includes(text)) flags.push(text);
      continue;
    }
    const key = text.slice(0, eq).trim();
    if (!PATH_KEY.test(key)) throw usage(`-o '${raw}': expected /Section/Key=value`);
    const path = key.startsWith('/') ? key : `${base}/${key}`;
    values[path] = unquote(text.slice(eq + 1).trim());
  }
  return { values, flags };
}

/** SiteDirector writes `-o '/LocalSite/SharedArea=…'`; a shell strips the quotes, a list of arguments may not. */
function unquote(value: string): string {
  return /^(['"]).*\1$/.test(value) ? value.slice(1, -1) : value;
}

/**
 * Local configuration paths the pilot acts on, and the option each one sets. Values set this way
 * rank between pilot.json and the environment: an explicit option still wins.
 */
export const LOCAL_CONFIG_OPTIONS: Readonly<Record<string, string>> = {
  '/LocalSite/Site': 'site',
  '/LocalSite/GridCE': 'ce',
  '/LocalSite/CEQueue': 'queue',
  '/LocalSite/LocalCE': 'ceType',
  '/LocalSite/PilotReference': 'pilotReference',
  '/LocalSite/ReleaseVersion': 'releaseVersion',
  '/LocalSite/ReleaseProject': 'releaseProject',
  '/LocalSite/CVMFS_locations': 'cvmfsLocations',
  '/LocalSite/CPUNormalizationFactor': 'cpuPower',
  '/DIRAC/Setup': 'setup',
  '/DIRAC/Configuration/Servers': 'configurationServers',
  '/AgentJobRequirements/OwnerGroup': 'ownerGroup',
  '/AgentJobRequirements/OwnerDN': 'ownerDN',
  '/Resources/Computing/CEDefaults/VirtualOrganization': 'vo',
  '/Resources/Computing/CEDefaults/MaxCPUTime': 'maxCPUTime',
  '/Resources/Computing/CEDefaults/NumberOfProcessors': 'processors',
  '/Resources/Computing/CEDefaults/Tag': 'tags',
  '/Resources/Computing/CEDefaults/RequiredTag': 'requiredTags',
  '/Resources/Computing/CEDefaults/LocalCEType': 'ceType',
};

const specByKey = new Map((OPTIONS as readonly OptionSpec[]).map((spec) => [spec.key, spec]));

/** The options the local configuration sets. A site-published CPUNormalizationFactor replaces the benchmark. */
export function paramsFromLocalConfig(config: LocalConfig): RawParams {
  const out: RawParams = {};
  for (const [path, value] of Object.entries(config.values)) {
    const key = LOCAL_CONFIG_OPTIONS[path];
    const spec = key ? specByKey.get(key) : undefined;
    if (!spec) continue;
    out[spec.key] = coerceOptionValue(spec, value, `-o ${path}`);
  }
  if (out.cpuPower !== undefined) out.cpuPowerSource = 'config';
  return out;
}

/** Requirements the job agent adds to every match request (DIRAC's /AgentJobRequirements section, -O, -G). */
export function jobRequirements(p: Pick<Params, 'genericOptions' | 'section' | 'ownerDN' | 'ownerGroup'>): Record<string, string> {
  const out: Record<string, string> = {};
  const prefix = '/AgentJobRequirements/';
  for (const [path, value] of Object.entries(parseGenericOptions(p.genericOptions, p.section).values)) {
    if (path.startsWith(prefix) && !path.slice(prefix.length).includes('/')) out[path.slice(prefix.length)] = value;
  }
  if (p.ownerDN) out.OwnerDN = p.ownerDN;
  if (p.ownerGroup) out.OwnerGroup = p.ownerGroup;
  return out;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `--userEnvVariables=NAME:::value,…` (DIRAC strips every space of it). */
export function parseUserEnvVariables(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text) return out;
  for (const item of text.replace(/ /g, '').split(',').filter(Boolean)) {
    const sep = item.indexOf(':::');
    const name = sep === -1 ? '' : item.slice(0, sep);
    if (!ENV_NAME.test(name)) throw usage(`--userEnvVariables: expected NAME:::value, got '${item}'`);
    out[name] = item.slice(sep + 3);
  }
  return out;
}

/**
 * What every payload gets from the site on top of the filtered environment: --userEnvVariables,
 * PYTHONPATH with -k/--keepPP (DIRAC clears it for children otherwise), /LocalSite/SharedArea as
 * VO_<VO>_SW_DIR, and the bare -o flags as DIRAC_PILOT_FLAGS.
 */
export function siteEnvironment(p: Params, pilotEnv: NodeJS.ProcessEnv): Record<string, string> {
  const config = parseGenericOptions(p.genericOptions, p.section);
  const env: Record<string, string> = {};
  const sharedArea = config.values['/LocalSite/SharedArea'];
  if (sharedArea && p.vo) env[`VO_${p.vo.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_SW_DIR`] = sharedArea;
  if (config.flags.length > 0) env.DIRAC_PILOT_FLAGS = config.flags.join(',');
  if (p.keepPythonPath && pilotEnv.PYTHONPATH) env.PYTHONPATH = pilotEnv.PYTHONPATH;
  return { ...env, ...parseUserEnvVariables(p.userEnvVariables) };
}

/** DIRAC options that only install DIRAC or its extensions: there is nothing to install. */
export const INSTALL_ONLY: readonly string[] = [
  'releaseVersion',
  'installUrl',
  'installation',
  'modules',
  'pipInstallOptions',
  'preinstalledEnv',
  'preinstalledEnvPrefix',
  'extraPackages',
];

/** The install-only options given, as `-r v9.0.1`-like words for the log and --dry-run. */
export function installOnlyGiven(given: RawParams): string[] {
  const out: string[] = [];
  for (const key of INSTALL_ONLY) {
    const value = given[key];
    if (value === undefined) continue;
    const spec = specByKey.get(key)!;
    out.push(`${spec.short ? `-${spec.short}` : `--${spec.long}`} ${Array.isArray(value) ? value.join(',') : String(value)}`);
  }
  return out;
}

/** `-x/--execute`: DIRAC runs this instead of the JobAgent; here the job agent is the only agent. */
export function checkExecute(value: string | undefined): void {
  if (value === undefined) return;
  const last = value
    .trim()
    .split(/[\s/]+/)
    .pop();
  if (last !== 'JobAgent')
    throw usage(`-x/--execute '${value}': this pilot runs only the job agent (JobAgent); other agents or commands are not supported`);
}

function usage(message: string): PilotError {
  return new PilotError(ExitCode.USAGE, message);
}

/** What --dry-run shows of the DIRAC options: nothing here is sent anywhere. */
export function diracOptionsReport(p: Params, given: RawParams, pilotEnv: NodeJS.ProcessEnv): Record<string, unknown> {
  const config = parseGenericOptions(p.genericOptions, p.section);
  return {
    nothingToInstall: installOnlyGiven(given),
    localConfig: config.values,
    flags: config.flags,
    // Names only: a site may pass tokens of its own this way.
    payloadEnvironment: Object.keys(siteEnvironment(p, pilotEnv)).sort(),
    ...(p.useServerCertificate ? { hostCertificate: hostCertificateDir(p, '<work dir>') } : {}),
  };
}

/** -c/-K: where hostcert.pem and hostkey.pem are (DIRAC: etc/grid-security under the pilot's directory). */
export function hostCertificateDir(p: Pick<Params, 'certLocation'>, workDir: string): string {
  return p.certLocation ?? `${workDir}/etc/grid-security`;
}

/** Where -c's certificate and key are joined into one credential file for the legacy backend (mode 0600). */
export function hostCredentialFile(workDir: string): string {
  return `${workDir}/proxies/host-credentials.pem`;
}
