/**
 * Every pilot option in one table: its long and short forms on the command line, the environment
 * variable that may set it, its key in pilot.json, and its help text. The CLI parser, the
 * environment reader, `--help` and docs all read this table, so they cannot drift apart.
 *
 * Long and short forms of the DIRAC pilot are kept as DIRAC spells them (`-N/--Name`,
 * `--StopAfterFailedMatches`), so a CE that launches the Python pilot can launch this one unchanged.
 */
export type OptionType = 'string' | 'integer' | 'number' | 'boolean' | 'flag' | 'list' | 'repeat' | 'keyvalue';

export interface OptionSpec {
  /** Key in the parameters object. */
  key: string;
  long: string;
  short?: string;
  /** Other long spellings accepted (e.g. kebab-case aliases of DIRAC's names). */
  aliases?: string[];
  env?: string;
  type: OptionType;
  /** Placeholder for help: `-n, --name=SITE`. */
  value?: string;
  help: string;
  /** Where it came from: DIRAC's pilot or this one. */
  origin: 'dirac' | 'pilot';
}

export const OPTIONS: readonly OptionSpec[] = [
  // --- DIRAC pilot options (dirac-pilot.md §1) ---
  { key: 'site', long: 'name', short: 'n', env: 'DIRAC_SITE', type: 'string', value: 'SITE', help: 'DIRAC site name', origin: 'dirac' },
  { key: 'ce', long: 'Name', short: 'N', env: 'DIRAC_CE', type: 'string', value: 'CE', help: 'computing element name (selects the CE section of pilot.json)', origin: 'dirac' },
  { key: 'queue', long: 'Queue', short: 'Q', env: 'DIRAC_QUEUE', type: 'string', value: 'QUEUE', help: 'CE queue name', origin: 'dirac' },
  { key: 'gridCEType', long: 'gridCEType', short: 'a', type: 'string', value: 'TYPE', help: 'grid CE type (HTCondorCE, ARC, SSH…); selects Commands in pilot.json', origin: 'dirac' },
  { key: 'ceType', long: 'CEType', short: 'y', type: 'string', value: 'TYPE', help: 'local CE type: InProcess, Pool, Pool/Singularity', origin: 'dirac' },
  { key: 'commands', long: 'commands', short: 'X', type: 'list', value: 'A,B,…', help: 'pipeline commands, replacing the default list', origin: 'dirac' },
  { key: 'commandOptions', long: 'commandOptions', short: 'Z', type: 'keyvalue', value: 'k=v,…', help: 'options passed to commands', origin: 'dirac' },
  { key: 'commandExtensions', long: 'commandExtensions', short: 'E', type: 'list', value: 'EXT,…', help: 'DIRAC command extensions (accepted; this pilot has no Python extensions)', origin: 'dirac' },
  { key: 'pilotCFGFile', long: 'pilotCFGFile', short: 'F', env: 'PILOT_CFG_FILE', type: 'string', value: 'FILE', help: 'pilot.json to read (default: pilot.json in the work directory, if present)', origin: 'dirac' },
  { key: 'configurationServers', long: 'configurationServer', short: 'C', type: 'list', value: 'URL,…', help: 'DIRAC configuration servers (legacy backend; default: pilot.json ConfigurationServers)', origin: 'dirac' },
  { key: 'setup', long: 'setup', short: 'S', type: 'string', value: 'SETUP', help: 'DIRAC setup (default: pilot.json DefaultSetup)', origin: 'dirac' },
  { key: 'debug', long: 'debug', short: 'd', env: 'PILOT_DEBUG', type: 'flag', help: 'debug logging', origin: 'dirac' },
  { key: 'pilotLogging', long: 'pilotLogging', short: 'z', type: 'flag', help: 'ship pilot log lines to the server (DiracX proposal, see docs/diracx.md)', origin: 'dirac' },
  { key: 'loggerURL', long: 'loggerURL', short: 'g', type: 'string', value: 'URL', help: 'remote logger URL (legacy DIRAC)', origin: 'dirac' },
  { key: 'minDiskMB', long: 'disk', short: 'D', type: 'integer', value: 'MB', help: 'minimum free disk in the work directory (default 2560)', origin: 'dirac' },
  { key: 'maxCycles', long: 'MaxCycles', short: 'M', type: 'integer', value: 'N', help: 'maximum job-agent cycles (default 10; Pool CE 5000)', origin: 'dirac' },
  { key: 'pollingTime', long: 'PollingTime', type: 'number', value: 'S', help: 'seconds between match attempts (default 20)', origin: 'dirac' },
  { key: 'stopOnApplicationFailure', long: 'StopOnApplicationFailure', type: 'boolean', value: 'BOOL', help: 'stop after a payload fails (default True; Pool CE False)', origin: 'dirac' },
  { key: 'stopAfterFailedMatches', long: 'StopAfterFailedMatches', type: 'integer', value: 'N', help: 'stop after N matches that found no job (default 10)', origin: 'dirac' },
  { key: 'processors', long: 'pilotProcessors', short: 'P', env: 'DIRAC_PILOT_PROCESSORS', type: 'integer', value: 'N', help: 'processors this pilot may use (default: the probed allocation)', origin: 'dirac' },
  { key: 'cpuTime', long: 'CPUTime', short: 'T', type: 'number', value: 'S', help: 'CPU time left in the slot, seconds (overrides the batch system)', origin: 'dirac' },
  { key: 'ownerGroup', long: 'Group', short: 'G', type: 'string', value: 'GROUP', help: 'restrict matching to this owner group', origin: 'dirac' },
  { key: 'vo', long: 'wnVO', env: 'DIRAC_PILOT_VO', type: 'string', value: 'VO', help: 'virtual organisation (default: the token\'s VO)', origin: 'dirac' },
  { key: 'pilotUUID', long: 'pilotUUID', env: 'PILOT_UUID', type: 'string', value: 'STAMP', help: 'pilot stamp (default: random)', origin: 'dirac' },
  { key: 'tags', long: 'tag', short: 't', type: 'repeat', value: 'TAG', help: 'tag this slot offers (repeatable)', origin: 'dirac' },
  { key: 'requiredTags', long: 'requiredTag', type: 'repeat', value: 'TAG', help: 'tag a job must ask for to match (repeatable)', origin: 'dirac' },
  { key: 'cvmfsLocations', long: 'CVMFS_locations', type: 'list', value: 'DIR,…', help: 'CVMFS locations to look in (default /cvmfs/grid.cern.ch,/cvmfs/dirac.egi.eu)', origin: 'dirac' },
  { key: 'requiredCvmfs', long: 'require-cvmfs', type: 'repeat', value: 'REPO', help: 'CVMFS repository `pilot check` requires (repeatable)', origin: 'pilot' },
  { key: 'releaseVersion', long: 'release', short: 'r', type: 'string', value: 'VERSION', help: 'DIRAC release version reported to the matcher', origin: 'dirac' },
  // --- Server and credentials ---
  { key: 'backend', long: 'backend', env: 'PILOT_BACKEND', type: 'string', value: 'diracx|dirac', help: 'workload manager to talk to (default diracx)', origin: 'pilot' },
  { key: 'diracxUrl', long: 'diracx-url', env: 'DIRACX_URL', type: 'string', value: 'URL', help: 'DiracX server URL', origin: 'pilot' },
  { key: 'caPath', long: 'ca-path', env: 'DIRACX_CA_PATH', type: 'string', value: 'PATH', help: 'CA bundle file or grid CA directory (default: $X509_CERT_DIR)', origin: 'pilot' },
  { key: 'credentialsFile', long: 'credentials', env: 'DIRACX_CREDENTIALS_PATH', type: 'string', value: 'FILE', help: 'DiracX credentials JSON (access_token, refresh_token, expires_on), mode 0600', origin: 'pilot' },
  { key: 'proxyFile', long: 'proxy', env: 'X509_USER_PROXY', type: 'string', value: 'FILE', help: 'DIRAC proxy file (its DIRACX block holds the DiracX tokens)', origin: 'pilot' },
  { key: 'pilotSecretFile', long: 'pilot-secret-file', env: 'PILOT_SECRET_FILE', type: 'string', value: 'FILE', help: 'pilot secret for the proposed secret exchange (DiracX PR #421/#550)', origin: 'pilot' },
  { key: 'insecure', long: 'insecure', type: 'flag', help: 'do not verify the server certificate (development only; warns loudly)', origin: 'pilot' },
  { key: 'matchPath', long: 'match-path', env: 'PILOT_MATCH_PATH', type: 'string', value: 'PATH', help: 'provisional match endpoint (default /api/jobs/match; not in DiracX yet)', origin: 'pilot' },
  // --- Work directory and runtime ---
  { key: 'workDir', long: 'work-dir', short: 'w', env: 'PILOT_WORKDIR', type: 'string', value: 'DIR', help: 'work directory (default: $_CONDOR_SCRATCH_DIR, $TMPDIR/pilot.<stamp>, else ./pilot.<stamp>)', origin: 'pilot' },
  { key: 'dryRun', long: 'dry-run', type: 'flag', help: 'probe and print the match request without contacting the server', origin: 'pilot' },
  { key: 'json', long: 'json', type: 'flag', help: 'machine-readable JSON on stdout', origin: 'pilot' },
  { key: 'sysroot', long: 'sysroot', env: 'PILOT_SYSROOT', type: 'string', value: 'DIR', help: 'read a captured node under DIR instead of this one', origin: 'pilot' },
  { key: 'runner', long: 'runner', env: 'PILOT_RUNNER', type: 'string', value: 'auto|apptainer|direct', help: 'how payloads run (default auto: Apptainer when usable)', origin: 'pilot' },
  { key: 'containerImage', long: 'container-image', env: 'PILOT_CONTAINER_IMAGE', type: 'string', value: 'IMAGE', help: 'default Apptainer image (default /cvmfs/cernvm-prod.cern.ch/cvm4)', origin: 'pilot' },
  { key: 'apptainerBinary', long: 'apptainer', env: 'PILOT_APPTAINER', type: 'string', value: 'PATH', help: 'apptainer/singularity binary', origin: 'pilot' },
  { key: 'diracImage', long: 'dirac-image', env: 'PILOT_DIRAC_IMAGE', type: 'string', value: 'IMAGE', help: 'Apptainer image with DIRAC, for dirac-jobexec payloads (legacy workflows)', origin: 'pilot' },
  { key: 'diracEnvironment', long: 'dirac-environment', env: 'PILOT_DIRAC_ENVIRONMENT', type: 'string', value: 'FILE', help: 'script setting up DIRAC (e.g. on CVMFS), sourced before dirac-jobexec payloads', origin: 'pilot' },
  { key: 'containerBinds', long: 'bind', type: 'repeat', value: 'SRC[:DST]', help: 'extra container bind (repeatable)', origin: 'pilot' },
  { key: 'drainFile', long: 'drain-file', type: 'string', value: 'FILE', help: 'stop taking jobs when this file exists (default /var/lib/dirac_drain)', origin: 'pilot' },
  { key: 'minimumTimeLeft', long: 'minimum-time-left', type: 'number', value: 'UNITS', help: 'stop when CPU work left falls below this (default 5000)', origin: 'pilot' },
  { key: 'maxCPUTime', long: 'max-cpu-time', type: 'number', value: 'S', help: 'last-resort CPU time when no batch system tells (default 0)', origin: 'pilot' },
  { key: 'queueCPUTime', long: 'queue-cpu-time', type: 'number', value: 'S', help: 'the queue\'s configured CPU time limit', origin: 'pilot' },
  { key: 'cpuPowerSource', long: 'cpu-power-source', type: 'string', value: 'db12|mjf|config', help: 'where the CPU power comes from (default db12)', origin: 'pilot' },
  { key: 'cpuPower', long: 'cpu-power', type: 'number', value: 'HS06', help: 'CPU power per core when --cpu-power-source=config', origin: 'pilot' },
  { key: 'cpuNormalizationCorrection', long: 'cpu-normalization-correction', type: 'number', value: 'F', help: 'divide the DB12 score by F (DIRAC CPUNormalizationCorrection)', origin: 'pilot' },
  { key: 'heartbeatSeconds', long: 'heartbeat', type: 'number', value: 'S', help: 'seconds between heartbeats (default 60)', origin: 'pilot' },
  { key: 'lifetimeSeconds', long: 'lifetime', env: 'PILOT_LIFETIME', type: 'number', value: 'S', help: 'stop taking jobs after S seconds of pilot life', origin: 'pilot' },
  { key: 'maxStdoutMB', long: 'max-stdout-mb', type: 'number', value: 'MB', help: 'kill a payload whose stdout grows past this (default 1024)', origin: 'pilot' },
  { key: 'stalledSeconds', long: 'stalled-seconds', type: 'number', value: 'S', help: 'window of the stalled check: CPU/wall below 5 % over it kills (default 1800, DIRAC\'s)', origin: 'pilot' },
  { key: 'loopingSeconds', long: 'looping-seconds', type: 'number', value: 'S', help: 'kill a payload that writes no file for this long (default 7200)', origin: 'pilot' },
  { key: 'killGraceSeconds', long: 'kill-grace', type: 'number', value: 'S', help: 'TERM to KILL when stopping a payload (default 10)', origin: 'pilot' },
  { key: 'blackHoleThreshold', long: 'black-hole-threshold', type: 'integer', value: 'N', help: 'stop after N consecutive jobs failed for node reasons (default 3)', origin: 'pilot' },
  // --- Edge mode (docs/edge-mode.md) ---
  { key: 'edge', long: 'edge', type: 'flag', help: 'edge-node mode: match for compute nodes, stage, submit with sbatch, relay', origin: 'pilot' },
  { key: 'edgeDir', long: 'edge-dir', env: 'PILOT_EDGE_DIR', type: 'string', value: 'DIR', help: 'shared directory between the edge pilot and the compute nodes', origin: 'pilot' },
  { key: 'edgePartition', long: 'edge-partition', type: 'string', value: 'NAME', help: 'Slurm partition to submit to (its MaxTime bounds the time limit)', origin: 'pilot' },
  { key: 'edgeCpus', long: 'edge-cpus', type: 'integer', value: 'N', help: 'cores per allocation (default 1)', origin: 'pilot' },
  { key: 'edgeMemoryMB', long: 'edge-memory-mb', type: 'integer', value: 'MB', help: 'memory per allocation (default 2000 per core)', origin: 'pilot' },
  { key: 'edgeGpus', long: 'edge-gpus', type: 'integer', value: 'N', help: 'GPUs per allocation (default 0)', origin: 'pilot' },
  { key: 'edgeTimeLimit', long: 'edge-time-limit', type: 'integer', value: 'MINUTES', help: 'time limit per allocation (default: the partition MaxTime, else 60)', origin: 'pilot' },
  { key: 'edgeGroupSize', long: 'edge-group-size', type: 'integer', value: 'N', help: 'jobs packed into one allocation (job grouping; default 1)', origin: 'pilot' },
  { key: 'edgeMaxAllocations', long: 'edge-max-allocations', type: 'integer', value: 'N', help: 'allocations in flight at once (default 4)', origin: 'pilot' },
  { key: 'edgeStaleSeconds', long: 'edge-stale-seconds', type: 'number', value: 'S', help: 'a running job whose heartbeat file is older than this is given back (default 10 heartbeats)', origin: 'pilot' },
  { key: 'edgeComputePrefix', long: 'edge-compute-prefix', type: 'string', value: 'CMD', help: 'command (space-separated) the compute side runs under, e.g. "unshare -n --"', origin: 'pilot' },
  { key: 'edgePilotCommand', long: 'edge-pilot-command', type: 'string', value: 'CMD', help: 'how compute nodes start this pilot (default: this executable)', origin: 'pilot' },
  { key: 'staged', long: 'staged', type: 'repeat', value: 'DIR', help: 'exec: run jobs an edge pilot staged in DIR (repeatable), with no network', origin: 'pilot' },
  { key: 'job', long: 'job', type: 'string', value: 'FILE', help: 'exec: the job description (JDL, or JSON with the same keys)', origin: 'pilot' },
];

export function findOption(name: string): OptionSpec | undefined {
  return OPTIONS.find((o) => o.long === name || o.aliases?.includes(name) || o.short === name);
}
