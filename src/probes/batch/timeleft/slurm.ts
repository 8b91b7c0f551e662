import { excerpt, requireJobId, runOrFail } from './command.js';
import { parseSlurmDuration } from './time-format.js';
import { TimeLeftSourceError, type ResourceUsage, type SourceContext, type TimeLeftSource } from './types.js';

/**
 * Slurm, in the order that needs least from the site: `sacct` (DIRAC's only source; needs
 * accounting storage), then `scontrol show job` and `squeue`, which ask slurmctld directly and
 * work without accounting, then the job's own environment (Slurm >= 23.02 exports start and end
 * times), which needs no daemon at all. Slurm allocates wall-clock time: Unit is WallClock.
 */

const SACCT = 'slurm:sacct';
const SCONTROL = 'slurm:scontrol';
const SQUEUE = 'slurm:squeue';
const ENVIRONMENT = 'slurm:environment';

/** `sacct -j ID -o JobID,CPUTimeRAW,AllocCPUS,ElapsedRaw,Timelimit -X -n -P --delimiter=,` */
export function parseSacct(stdout: string, jobId: string): ResourceUsage {
  const lines = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (lines.length === 0) throw new TimeLeftSourceError(SACCT, `no accounting record for job ${jobId} (empty output)`);
  const line = lines.find((candidate) => candidate.split(',')[0] === jobId) ?? lines[0]!;
  const fields = line.split(',');
  if (fields.length !== 5) {
    throw new TimeLeftSourceError(SACCT, `expected 5 comma-separated fields, got ${fields.length} in ${excerpt(line)}`);
  }
  const [, cpuText, allocText, elapsedText, limitText] = fields as [string, string, string, string, string];
  const cpu = wholeNumber(SACCT, 'CPUTimeRAW', cpuText);
  const allocCpus = wholeNumber(SACCT, 'AllocCPUS', allocText);
  const elapsed = wholeNumber(SACCT, 'ElapsedRaw', elapsedText);
  const limit = wallLimit(SACCT, 'Timelimit', limitText);
  return { CPU: cpu, CPULimit: limit * allocCpus, WallClock: elapsed, WallClockLimit: limit, Unit: 'WallClock', source: SACCT };
}

/** `scontrol show job ID`: RunTime, TimeLimit and NumCPUs from its Key=Value tokens. */
export function parseScontrolShowJob(stdout: string): ResourceUsage {
  const fields = new Map<string, string>();
  for (const token of stdout.split(/\s+/)) {
    const equals = token.indexOf('=');
    if (equals > 0 && !fields.has(token.slice(0, equals))) fields.set(token.slice(0, equals), token.slice(equals + 1));
  }
  if (!fields.has('JobId')) throw new TimeLeftSourceError(SCONTROL, `no JobId in output ${excerpt(stdout)}`);
  const runTime = duration(SCONTROL, 'RunTime', fields.get('RunTime'));
  const limit = wallLimit(SCONTROL, 'TimeLimit', fields.get('TimeLimit'));
  const cpusText = fields.get('NumCPUs');
  const cpus = cpusText === undefined ? null : wholeNumber(SCONTROL, 'NumCPUs', cpusText);
  // scontrol has no CPU-used counter: DIRAC's fill-in derives it from the wall clock.
  return {
    CPU: null,
    CPULimit: cpus ? limit * cpus : null,
    WallClock: runTime,
    WallClockLimit: limit,
    Unit: 'WallClock',
    source: SCONTROL,
  };
}

/** `squeue -h -j ID -o "%l %M %L"`: time limit, time used, time left. */
export function parseSqueue(stdout: string): ResourceUsage {
  const words = stdout
    .trim()
    .split(/\s+/)
    .filter((word) => word.length > 0);
  if (words.length !== 3) {
    throw new TimeLeftSourceError(SQUEUE, `expected "limit used left", got ${excerpt(stdout)}`);
  }
  const limit = wallLimit(SQUEUE, 'time limit (%l)', words[0]);
  const used = duration(SQUEUE, 'time used (%M)', words[1]);
  return { CPU: null, CPULimit: null, WallClock: used, WallClockLimit: limit, Unit: 'WallClock', source: SQUEUE };
}

/** SLURM_JOB_START_TIME / SLURM_JOB_END_TIME (epoch seconds, Slurm >= 23.02). */
export function usageFromSlurmEnvironment(env: Record<string, string | undefined>, now: number): ResourceUsage {
  const start = env.SLURM_JOB_START_TIME;
  const end = env.SLURM_JOB_END_TIME;
  if (start === undefined || end === undefined) {
    throw new TimeLeftSourceError(ENVIRONMENT, 'SLURM_JOB_START_TIME/SLURM_JOB_END_TIME not set (Slurm < 23.02?)');
  }
  const startSeconds = wholeNumber(ENVIRONMENT, 'SLURM_JOB_START_TIME', start);
  const endSeconds = wholeNumber(ENVIRONMENT, 'SLURM_JOB_END_TIME', end);
  if (endSeconds <= startSeconds) {
    throw new TimeLeftSourceError(ENVIRONMENT, `SLURM_JOB_END_TIME (${end}) is not after SLURM_JOB_START_TIME (${start})`);
  }
  return {
    CPU: null,
    CPULimit: null,
    WallClock: Math.max(0, now - startSeconds),
    WallClockLimit: endSeconds - startSeconds,
    Unit: 'WallClock',
    source: ENVIRONMENT,
  };
}

export const slurmSources: TimeLeftSource[] = [
  {
    name: SACCT,
    async read(context: SourceContext) {
      const jobId = requireJobId(context, SACCT, 'SLURM_JOB_ID');
      const stdout = await runOrFail(context, SACCT, 'sacct', [
        '-j',
        jobId,
        '-o',
        'JobID,CPUTimeRAW,AllocCPUS,ElapsedRaw,Timelimit',
        '-X',
        '-n',
        '-P',
        '--delimiter=,',
      ]);
      return parseSacct(stdout, jobId);
    },
  },
  {
    name: SCONTROL,
    async read(context: SourceContext) {
      const jobId = requireJobId(context, SCONTROL, 'SLURM_JOB_ID');
      return parseScontrolShowJob(await runOrFail(context, SCONTROL, 'scontrol', ['show', 'job', jobId]));
    },
  },
  {
    name: SQUEUE,
    async read(context: SourceContext) {
      const jobId = requireJobId(context, SQUEUE, 'SLURM_JOB_ID');
      return parseSqueue(await runOrFail(context, SQUEUE, 'squeue', ['-h', '-j', jobId, '-o', '%l %M %L']));
    },
  },
  {
    name: ENVIRONMENT,
    async read(context: SourceContext) {
      return usageFromSlurmEnvironment(context.env, context.now());
    },
  },
];

function wholeNumber(source: string, field: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new TimeLeftSourceError(source, `${field} is not a whole number: ${excerpt(text)}`);
  return Number(text.trim());
}

function duration(source: string, field: string, text: string | undefined): number {
  if (text === undefined) throw new TimeLeftSourceError(source, `${field} missing`);
  const seconds = parseSlurmDuration(text);
  if (seconds === null) throw new TimeLeftSourceError(source, `${field} is not a Slurm duration: ${excerpt(text)}`);
  return seconds;
}

/** A time limit; UNLIMITED, Partition_Limit, NOT_SET, INVALID mean there is no usable limit here. */
function wallLimit(source: string, field: string, text: string | undefined): number {
  if (text !== undefined && /^(UNLIMITED|Partition_Limit|NOT_SET|INVALID|infinite)$/i.test(text.trim())) {
    throw new TimeLeftSourceError(source, `${field} is ${text.trim()}: no wall-clock limit to count down from`);
  }
  const seconds = duration(source, field, text);
  if (seconds <= 0) throw new TimeLeftSourceError(source, `${field} is zero`);
  return seconds;
}
