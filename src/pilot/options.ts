import type { z } from 'zod';

/**
 * Every pilot option in one table, one entry each: its long and short forms on the command line,
 * the environment variable that may set it, its schema, its default and its help text. The CLI
 * parser, the environment reader, pilot.json, the parameter merge (params.ts), `--help` and the
 * docs all read this table, so they cannot drift apart. "(default X)" in the help is generated
 * from `default`; a default that depends on the node or on other options is marked `contextual`
 * and computed, with its help wording, in one function (defaults.ts).
 *
 * Long and short forms of the DIRAC pilot are kept as DIRAC spells them (`-N/--Name`,
 * `--StopAfterFailedMatches`), so a CE that launches the Python pilot can launch this one unchanged.
 *
 * The table holds schema *factories*: zod is loaded only when a given value needs a schema, and
 * `text`/`bool` options never need it (params.ts says why that matters for start-up).
 */
/**
 * How a textual value is read: `list` splits on commas, `repeat` splits and accumulates over
 * repeats (-t a -t b,c), `append` accumulates whole values (-o '/A/B=x,y' keeps its comma).
 */
export type OptionType = 'string' | 'integer' | 'number' | 'boolean' | 'flag' | 'list' | 'repeat' | 'append' | 'keyvalue';

type Zod = typeof z;

/** 'text': any string; 'bool': true or false. Values already of that type skip zod. */
export type OptionSchema = 'text' | 'bool' | ((zod: Zod) => z.ZodTypeAny);

export type SchemaOutput<S> = S extends 'text'
  ? string
  : S extends 'bool'
    ? boolean
    : S extends (zod: Zod) => infer T
      ? T extends z.ZodTypeAny
        ? z.output<T>
        : never
      : never;

export interface OptionSpec<K extends string = string, S extends OptionSchema = OptionSchema> {
  /** Key in the parameters object. */
  key: K;
  long: string;
  short?: string;
  /** Other long spellings accepted. */
  aliases?: readonly string[];
  env?: string;
  /** How a textual value (command line, environment, pilot.json string) is read before the schema. */
  type: OptionType;
  schema: S;
  /** The value when no source gives one; shown in the help as "(default X)". */
  default?: SchemaOutput<S>;
  /** The default depends on the node or on other options: see contextDefaults() in defaults.ts. */
  contextual?: true;
  /** Placeholder for help: `-n, --name=SITE`. */
  value?: string;
  help: string;
  /** Where it came from: DIRAC's pilot or this one. */
  origin: 'dirac' | 'pilot';
}

type Entry<K extends string, S extends OptionSchema, Defaulted extends boolean> = OptionSpec<K, S> & { readonly defaulted?: Defaulted };

/** One table entry; keeps the key, the schema and whether a default exists in the type (for Params). */
function option<const K extends string, S extends OptionSchema>(spec: OptionSpec<K, S> & { default: SchemaOutput<S> }): Entry<K, S, true>;
function option<const K extends string, S extends OptionSchema>(spec: Omit<OptionSpec<K, S>, 'default'>): Entry<K, S, false>;
function option(spec: OptionSpec): OptionSpec {
  return spec;
}

// Schema factories shared by many entries.
const int = (min: number) => (z: Zod) => z.number().int().min(min);
const positive = (z: Zod) => z.number().positive();
const nonNegative = (z: Zod) => z.number().nonnegative();
const words = (z: Zod) => z.array(z.string().min(1));
const nonEmpty = (z: Zod) => z.string().min(1);
/** A UUID as DIRAC's pilot wrapper makes one (uuid1) when the SiteDirector gave no stamp. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const OPTIONS = [
  // --- DIRAC pilot options (dirac-pilot.md §1) ---
  option({ key: 'site', long: 'name', short: 'n', env: 'DIRAC_SITE', type: 'string', schema: nonEmpty, default: 'Unknown', value: 'SITE', help: 'DIRAC site name', origin: 'dirac' }),
  option({ key: 'ce', long: 'Name', short: 'N', env: 'DIRAC_CE', type: 'string', schema: 'text', default: '', value: 'CE', help: 'computing element name (selects the CE section of pilot.json)', origin: 'dirac' }),
  option({ key: 'queue', long: 'Queue', short: 'Q', env: 'DIRAC_QUEUE', type: 'string', schema: 'text', default: '', value: 'QUEUE', help: 'CE queue name', origin: 'dirac' }),
  option({ key: 'gridCEType', long: 'gridCEType', short: 'a', type: 'string', schema: 'text', default: 'DIRAC', value: 'TYPE', help: 'grid CE type (HTCondorCE, ARC, SSH…); selects Commands in pilot.json', origin: 'dirac' }),
  option({ key: 'ceType', long: 'CEType', short: 'y', type: 'string', schema: 'text', default: 'Pool', value: 'TYPE', help: 'local CE type: InProcess, Pool, Pool/Singularity', origin: 'dirac' }),
  option({ key: 'commands', long: 'commands', short: 'X', type: 'list', schema: (z: Zod) => z.array(z.string().min(1)).min(1), value: 'A,B,…', help: 'pipeline commands, replacing the default list', origin: 'dirac' }),
  option({ key: 'commandOptions', long: 'commandOptions', short: 'Z', type: 'keyvalue', schema: (z: Zod) => z.record(z.string()), default: {}, value: 'k=v,…', help: 'options passed to commands', origin: 'dirac' }),
  option({ key: 'commandExtensions', long: 'commandExtensions', short: 'E', type: 'list', schema: (z: Zod) => z.array(z.string()), default: [], value: 'EXT,…', help: "VO extensions of DIRAC's pilot commands: their command names (LHCbConfigureBasics) map onto this pilot's commands", origin: 'dirac' }),
  option({ key: 'pilotCFGFile', long: 'pilotCFGFile', short: 'F', env: 'PILOT_CFG_FILE', type: 'string', schema: 'text', value: 'FILE', help: 'pilot.json to read (default: pilot.json in the work directory, if present)', origin: 'dirac' }),
  option({ key: 'configurationServers', long: 'configurationServer', short: 'C', type: 'list', schema: (z: Zod) => z.array(z.string().url()), default: [], value: 'URL,…', help: 'DIRAC configuration servers (legacy backend; when not given, pilot.json ConfigurationServers)', origin: 'dirac' }),
  option({ key: 'setup', long: 'setup', short: 'S', type: 'string', schema: 'text', value: 'SETUP', help: 'DIRAC setup (default: pilot.json DefaultSetup)', origin: 'dirac' }),
  option({ key: 'debug', long: 'debug', short: 'd', env: 'PILOT_DEBUG', type: 'flag', schema: 'bool', default: false, help: 'debug logging', origin: 'dirac' }),
  option({ key: 'pilotLogging', long: 'pilotLogging', short: 'z', type: 'flag', schema: 'bool', default: false, help: 'ship pilot log lines to the server (DiracX proposal, see docs/diracx.md)', origin: 'dirac' }),
  option({ key: 'loggerURL', long: 'loggerURL', short: 'g', type: 'string', schema: 'text', value: 'URL', help: 'remote logger URL (legacy DIRAC)', origin: 'dirac' }),
  option({ key: 'minDiskMB', long: 'disk', short: 'D', type: 'integer', schema: int(0), default: 2560, value: 'MB', help: 'minimum free disk in the work directory', origin: 'dirac' }),
  option({ key: 'maxCycles', long: 'MaxCycles', short: 'M', type: 'integer', schema: int(1), contextual: true, value: 'N', help: 'maximum job-agent cycles', origin: 'dirac' }),
  option({ key: 'pollingTime', long: 'PollingTime', type: 'number', schema: positive, default: 20, value: 'S', help: 'seconds between match attempts, at most 20 for a Pool CE', origin: 'dirac' }),
  option({ key: 'stopOnApplicationFailure', long: 'StopOnApplicationFailure', type: 'boolean', schema: 'bool', contextual: true, value: 'BOOL', help: 'stop after a payload fails', origin: 'dirac' }),
  option({ key: 'stopAfterFailedMatches', long: 'StopAfterFailedMatches', type: 'integer', schema: int(0), contextual: true, value: 'N', help: 'stop after N matches that found no job', origin: 'dirac' }),
  option({ key: 'processors', long: 'pilotProcessors', short: 'P', env: 'DIRAC_PILOT_PROCESSORS', type: 'integer', schema: int(1), contextual: true, value: 'N', help: 'processors this pilot may use', origin: 'dirac' }),
  option({ key: 'cpuTime', long: 'CPUTime', short: 'T', type: 'number', schema: nonNegative, value: 'S', help: 'CPU time left in the slot, seconds (overrides the batch system)', origin: 'dirac' }),
  option({ key: 'ownerGroup', long: 'Group', short: 'G', type: 'string', schema: 'text', value: 'GROUP', help: 'restrict matching to this owner group', origin: 'dirac' }),
  option({ key: 'vo', long: 'wnVO', env: 'DIRAC_PILOT_VO', type: 'string', schema: nonEmpty, value: 'VO', help: "virtual organisation (default: the token's VO)", origin: 'dirac' }),
  option({ key: 'pilotUUID', long: 'pilotUUID', env: 'PILOT_UUID', type: 'string', schema: (z: Zod) => z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only').refine((v) => v.length <= 32 || UUID.test(v), '1 to 32 characters, or a UUID'), value: 'STAMP', help: "pilot stamp (default: random; a UUID, as DIRAC's wrapper makes one, loses its dashes)", origin: 'dirac' }),
  option({ key: 'tags', long: 'tag', short: 't', type: 'repeat', schema: words, default: [], value: 'TAG', help: 'tag this slot offers (repeatable)', origin: 'dirac' }),
  option({ key: 'requiredTags', long: 'requiredTag', type: 'repeat', schema: words, default: [], value: 'TAG', help: 'tag a job must ask for to match (repeatable)', origin: 'dirac' }),
  option({ key: 'cvmfsLocations', long: 'CVMFS_locations', type: 'list', schema: words, default: ['/cvmfs/grid.cern.ch', '/cvmfs/dirac.egi.eu'], value: 'DIR,…', help: 'CVMFS locations to look in', origin: 'dirac' }),
  option({ key: 'requiredCvmfs', long: 'require-cvmfs', type: 'repeat', schema: words, default: [], value: 'REPO', help: 'CVMFS repository `pilot check` requires (repeatable)', origin: 'pilot' }),
  option({ key: 'releaseVersion', long: 'release', short: 'r', type: 'string', schema: (z: Zod) => z.string().transform((v) => v.split(',')[0]!.trim()), default: 'v9.0.0', value: 'VERSION[,…]', help: 'DIRAC release version reported to the matcher (the first of a list; nothing is installed)', origin: 'dirac' }),
  option({ key: 'releaseProject', long: 'project', short: 'l', type: 'string', schema: 'text', value: 'PROJECT', help: 'DIRAC project (the VO extension, e.g. LHCb; default: pilot.json Project)', origin: 'dirac' }),
  // DIRAC pilot options with a meaning of their own here (src/pilot/dirac-options.ts, docs/site-admin.md).
  option({ key: 'genericOptions', long: 'option', short: 'o', type: 'append', schema: (z: Zod) => z.array(z.string().min(1)), default: [], value: '/Section/Key=value|WORD', help: 'a DIRAC local configuration value the pilot acts on and passes to jobs, or a flag word (repeatable; docs/site-admin.md)', origin: 'dirac' }),
  option({ key: 'section', long: 'section', short: 's', type: 'string', schema: 'text', value: 'SECTION', help: 'base section for -o paths without a leading /', origin: 'dirac' }),
  option({ key: 'userEnvVariables', long: 'userEnvVariables', type: 'string', schema: 'text', value: 'NAME:::value,…', help: "environment variables for every payload, added after the pilot's secret filter", origin: 'dirac' }),
  option({ key: 'pilotReference', long: 'reference', short: 'R', type: 'string', schema: 'text', value: 'REF', help: 'the pilot reference (default: from the batch system, else the stamp)', origin: 'dirac' }),
  option({ key: 'ownerDN', long: 'OwnerDN', short: 'O', type: 'string', schema: 'text', value: 'DN', help: "private pilot: match only this owner's jobs", origin: 'dirac' }),
  option({ key: 'useServerCertificate', long: 'cert', short: 'c', type: 'flag', schema: 'bool', default: false, help: 'use the host certificate (hostcert.pem, hostkey.pem under -K) instead of a proxy', origin: 'dirac' }),
  option({ key: 'certLocation', long: 'certLocation', short: 'K', type: 'string', schema: 'text', value: 'DIR', help: 'directory of hostcert.pem and hostkey.pem for -c (default: etc/grid-security in the work directory)', origin: 'dirac' }),
  option({ key: 'gateway', long: 'gateway', short: 'W', type: 'string', schema: 'text', value: 'URL', help: 'DIRAC gateway (dips://…): every legacy DIRAC call, the configuration included, goes to <gateway>/<System/Service>', origin: 'dirac' }),
  option({ key: 'keepPythonPath', long: 'keepPP', short: 'k', type: 'flag', schema: 'bool', default: false, help: "pass the pilot's PYTHONPATH on to payloads (cleared otherwise, as DIRAC does)", origin: 'dirac' }),
  option({ key: 'execute', long: 'execute', short: 'x', type: 'string', schema: 'text', value: 'JobAgent', help: 'the agent to run: only the job agent exists here; any other value is an error', origin: 'dirac' }),
  option({ key: 'maxNumberOfProcessors', long: 'maxNumberOfProcessors', short: 'm', type: 'integer', schema: int(0), value: 'N', help: 'the most processors one payload gets (0: no limit)', origin: 'dirac' }),
  option({ key: 'architectureScript', long: 'architectureScript', type: 'string', schema: 'text', value: 'SCRIPT', help: 'script whose last output line is the Platform (looked for under the CVMFS locations, then on PATH; native platform when absent)', origin: 'dirac' }),
  option({ key: 'extraPackages', long: 'extraPackages', short: 'e', type: 'list', schema: words, default: [], value: 'EXT,…', help: "the VO's DIRAC extensions: their pilot command names are mapped onto this pilot's; nothing is installed", origin: 'dirac' }),
  option({ key: 'installUrl', long: 'url', short: 'u', type: 'string', schema: 'text', value: 'URL', help: 'install only: where DIRAC tarballs come from (nothing to install)', origin: 'dirac' }),
  option({ key: 'installation', long: 'installation', short: 'V', type: 'string', schema: 'text', value: 'NAME', help: 'install only: the installation SiteDirector names (nothing to install)', origin: 'dirac' }),
  option({ key: 'modules', long: 'modules', type: 'string', schema: 'text', value: 'URL:::PROJECT:::BRANCH,…', help: 'install only: unreleased code to pip install (nothing to install)', origin: 'dirac' }),
  option({ key: 'pipInstallOptions', long: 'pipInstallOptions', type: 'string', schema: 'text', value: 'OPTIONS', help: 'install only: options to pip install (nothing to install)', origin: 'dirac' }),
  option({ key: 'preinstalledEnv', long: 'preinstalledEnv', type: 'string', schema: 'text', value: 'FILE', help: 'install only: a DIRAC environment script (nothing to install or source)', origin: 'dirac' }),
  option({ key: 'preinstalledEnvPrefix', long: 'preinstalledEnvPrefix', type: 'string', schema: 'text', value: 'DIR', help: 'install only: where preinstalled DIRAC environments live (nothing to install or source)', origin: 'dirac' }),
  // --- Server and credentials ---
  option({ key: 'backend', long: 'backend', env: 'PILOT_BACKEND', type: 'string', schema: (z: Zod) => z.enum(['diracx', 'dirac']), default: 'diracx', value: 'diracx|dirac', help: 'workload manager to talk to', origin: 'pilot' }),
  option({ key: 'diracxUrl', long: 'diracx-url', env: 'DIRACX_URL', type: 'string', schema: (z: Zod) => z.string().url(), value: 'URL', help: 'DiracX server URL', origin: 'pilot' }),
  option({ key: 'caPath', long: 'ca-path', env: 'DIRACX_CA_PATH', type: 'string', schema: 'text', value: 'PATH', help: 'CA bundle file or grid CA directory (default: $X509_CERT_DIR)', origin: 'pilot' }),
  option({ key: 'credentialsFile', long: 'credentials', env: 'DIRACX_CREDENTIALS_PATH', type: 'string', schema: 'text', value: 'FILE', help: 'DiracX credentials JSON (access_token, refresh_token, expires_on), mode 0600', origin: 'pilot' }),
  option({ key: 'proxyFile', long: 'proxy', env: 'X509_USER_PROXY', type: 'string', schema: 'text', value: 'FILE', help: 'DIRAC proxy file (its DIRACX block holds the DiracX tokens)', origin: 'pilot' }),
  option({ key: 'pilotSecretFile', long: 'pilot-secret-file', env: 'PILOT_SECRET_FILE', type: 'string', schema: 'text', value: 'FILE', help: 'pilot secret for the proposed secret exchange (DiracX PR #421/#550)', origin: 'pilot' }),
  option({ key: 'insecure', long: 'insecure', type: 'flag', schema: 'bool', default: false, help: 'do not verify the server certificate (development only; warns loudly)', origin: 'pilot' }),
  option({ key: 'matchPath', long: 'match-path', env: 'PILOT_MATCH_PATH', type: 'string', schema: (z: Zod) => z.string().startsWith('/'), default: '/api/jobs/match', value: 'PATH', help: 'provisional match endpoint (not in DiracX yet)', origin: 'pilot' }),
  // --- Work directory and runtime ---
  option({ key: 'workDir', long: 'work-dir', short: 'w', env: 'PILOT_WORKDIR', type: 'string', schema: 'text', value: 'DIR', help: 'work directory (default: $_CONDOR_SCRATCH_DIR, $TMPDIR/pilot.<stamp>, else ./pilot.<stamp>)', origin: 'pilot' }),
  option({ key: 'dryRun', long: 'dry-run', type: 'flag', schema: 'bool', default: false, help: 'probe and print the match request without contacting the server', origin: 'pilot' }),
  option({ key: 'json', long: 'json', type: 'flag', schema: 'bool', default: false, help: 'machine-readable JSON on stdout', origin: 'pilot' }),
  option({ key: 'sysroot', long: 'sysroot', env: 'PILOT_SYSROOT', type: 'string', schema: 'text', value: 'DIR', help: 'read a captured node under DIR instead of this one', origin: 'pilot' }),
  option({ key: 'runner', long: 'runner', env: 'PILOT_RUNNER', type: 'string', schema: (z: Zod) => z.enum(['auto', 'apptainer', 'direct']), default: 'auto', value: 'auto|apptainer|direct', help: 'how payloads run (auto: Apptainer when usable)', origin: 'pilot' }),
  option({ key: 'containerImage', long: 'container-image', env: 'PILOT_CONTAINER_IMAGE', type: 'string', schema: 'text', default: '/cvmfs/cernvm-prod.cern.ch/cvm4', value: 'IMAGE', help: 'default Apptainer image', origin: 'pilot' }),
  option({ key: 'apptainerBinary', long: 'apptainer', env: 'PILOT_APPTAINER', type: 'string', schema: 'text', value: 'PATH', help: 'apptainer/singularity binary', origin: 'pilot' }),
  option({ key: 'diracImage', long: 'dirac-image', env: 'PILOT_DIRAC_IMAGE', type: 'string', schema: 'text', value: 'IMAGE', help: 'Apptainer image with DIRAC, for dirac-jobexec payloads (legacy workflows)', origin: 'pilot' }),
  option({ key: 'diracEnvironment', long: 'dirac-environment', env: 'PILOT_DIRAC_ENVIRONMENT', type: 'string', schema: 'text', value: 'FILE', help: 'script setting up DIRAC (e.g. on CVMFS), sourced before dirac-jobexec payloads', origin: 'pilot' }),
  option({ key: 'containerBinds', long: 'bind', type: 'repeat', schema: words, default: [], value: 'SRC[:DST]', help: 'extra container bind (repeatable)', origin: 'pilot' }),
  option({ key: 'drainFile', long: 'drain-file', type: 'string', schema: 'text', default: '/var/lib/dirac_drain', value: 'FILE', help: 'stop taking jobs when this file exists', origin: 'pilot' }),
  option({ key: 'minimumTimeLeft', long: 'minimum-time-left', type: 'number', schema: nonNegative, default: 5000, value: 'UNITS', help: 'stop when CPU work left falls below this', origin: 'pilot' }),
  option({ key: 'maxCPUTime', long: 'max-cpu-time', type: 'number', schema: nonNegative, default: 0, value: 'S', help: 'last-resort CPU time when no batch system tells', origin: 'pilot' }),
  option({ key: 'queueCPUTime', long: 'queue-cpu-time', type: 'number', schema: nonNegative, value: 'S', help: "the queue's configured CPU time limit", origin: 'pilot' }),
  option({ key: 'cpuPowerSource', long: 'cpu-power-source', type: 'string', schema: (z: Zod) => z.enum(['auto', 'db12', 'mjf', 'config']), default: 'auto', value: 'auto|db12|mjf|config', help: 'where the CPU power comes from (auto: the site figure, MJF, the HTCondor machine ad, the node cache, then DB12)', origin: 'pilot' }),
  option({ key: 'cpuPower', long: 'cpu-power', type: 'number', schema: positive, value: 'HS06', help: 'CPU power per core: the site figure (auto), or the only one (config)', origin: 'pilot' }),
  option({ key: 'cpuPowerCache', long: 'cpu-power-cache', type: 'string', schema: 'text', value: 'FILE', help: 'node CPU power cache, trusted only if it and its directory are root-owned and not group/other-writable (docs/cpu-work-left.md)', origin: 'pilot' }),
  option({ key: 'saveCpuPowerCache', long: 'save-cpu-power-cache', type: 'flag', schema: 'bool', default: false, help: 'pilot benchmark: measure 7x longer and write --cpu-power-cache for later pilots (run as root by the site)', origin: 'pilot' }),
  option({ key: 'cpuNormalizationCorrection', long: 'cpu-normalization-correction', type: 'number', schema: positive, default: 1, value: 'F', help: 'divide the DB12 score by F (DIRAC CPUNormalizationCorrection)', origin: 'pilot' }),
  option({ key: 'heartbeatSeconds', long: 'heartbeat', type: 'number', schema: positive, default: 60, value: 'S', help: 'seconds between heartbeats', origin: 'pilot' }),
  option({ key: 'lifetimeSeconds', long: 'lifetime', env: 'PILOT_LIFETIME', type: 'number', schema: positive, value: 'S', help: 'stop taking jobs after S seconds of pilot life', origin: 'pilot' }),
  option({ key: 'maxStdoutMB', long: 'max-stdout-mb', type: 'number', schema: positive, default: 1024, value: 'MB', help: 'kill a payload whose stdout grows past this', origin: 'pilot' }),
  option({ key: 'stalledSeconds', long: 'stalled-seconds', type: 'number', schema: positive, default: 1800, value: 'S', help: "window of the stalled check: CPU/wall below 5 % over it kills (DIRAC's)", origin: 'pilot' }),
  option({ key: 'loopingSeconds', long: 'looping-seconds', type: 'number', schema: positive, default: 7200, value: 'S', help: 'kill a payload that writes no file for this long', origin: 'pilot' }),
  option({ key: 'killGraceSeconds', long: 'kill-grace', type: 'number', schema: nonNegative, default: 10, value: 'S', help: 'TERM to KILL when stopping a payload', origin: 'pilot' }),
  option({ key: 'blackHoleThreshold', long: 'black-hole-threshold', type: 'integer', schema: int(1), default: 3, value: 'N', help: 'stop after N consecutive jobs failed for node reasons', origin: 'pilot' }),
  // --- Edge mode (docs/edge-mode.md) ---
  option({ key: 'edge', long: 'edge', type: 'flag', schema: 'bool', default: false, help: 'edge-node mode: match for compute nodes, stage, submit with sbatch, relay', origin: 'pilot' }),
  option({ key: 'edgeDir', long: 'edge-dir', env: 'PILOT_EDGE_DIR', type: 'string', schema: 'text', value: 'DIR', help: 'shared directory between the edge pilot and the compute nodes', origin: 'pilot' }),
  option({ key: 'edgePartition', long: 'edge-partition', type: 'string', schema: 'text', value: 'NAME', help: 'Slurm partition to submit to (its MaxTime bounds the time limit)', origin: 'pilot' }),
  option({ key: 'edgeCpus', long: 'edge-cpus', type: 'integer', schema: int(1), default: 1, value: 'N', help: 'cores per allocation', origin: 'pilot' }),
  option({ key: 'edgeMemoryMB', long: 'edge-memory-mb', type: 'integer', schema: int(1), contextual: true, value: 'MB', help: 'memory per allocation', origin: 'pilot' }),
  option({ key: 'edgeGpus', long: 'edge-gpus', type: 'integer', schema: int(0), default: 0, value: 'N', help: 'GPUs per allocation', origin: 'pilot' }),
  option({ key: 'edgeTimeLimit', long: 'edge-time-limit', type: 'integer', schema: int(1), contextual: true, value: 'MINUTES', help: 'time limit per allocation', origin: 'pilot' }),
  option({ key: 'edgeGroupSize', long: 'edge-group-size', type: 'integer', schema: int(1), default: 1, value: 'N', help: 'jobs packed into one allocation (job grouping)', origin: 'pilot' }),
  option({ key: 'edgeMaxAllocations', long: 'edge-max-allocations', type: 'integer', schema: int(1), default: 4, value: 'N', help: 'allocations in flight at once', origin: 'pilot' }),
  option({ key: 'edgeStaleSeconds', long: 'edge-stale-seconds', type: 'number', schema: positive, contextual: true, value: 'S', help: 'a running job whose heartbeat file is older than this is given back', origin: 'pilot' }),
  option({ key: 'edgeComputePrefix', long: 'edge-compute-prefix', type: 'string', schema: 'text', value: 'CMD', help: 'command (space-separated) the compute side runs under, e.g. "unshare -n --"', origin: 'pilot' }),
  option({ key: 'edgePilotCommand', long: 'edge-pilot-command', type: 'string', schema: 'text', value: 'CMD', help: 'how compute nodes start this pilot (default: this executable)', origin: 'pilot' }),
  option({ key: 'staged', long: 'staged', type: 'repeat', schema: words, default: [], value: 'DIR', help: 'exec: run jobs an edge pilot staged in DIR (repeatable), with no network', origin: 'pilot' }),
  option({ key: 'job', long: 'job', type: 'string', schema: 'text', value: 'FILE', help: 'exec: the job description (JDL, or JSON with the same keys)', origin: 'pilot' }),
] as const;

type AnyEntry = (typeof OPTIONS)[number];
type Valued<E> = E extends Entry<string, OptionSchema, true> ? E : never;

/** The parameters: options with a default are always set, the others may be absent. */
export type Params = { [E in Valued<AnyEntry> as E['key']]: SchemaOutput<E['schema']> } & {
  [E in Exclude<AnyEntry, Valued<AnyEntry>> as E['key']]?: SchemaOutput<E['schema']>;
};

export type OptionKey = AnyEntry['key'];
