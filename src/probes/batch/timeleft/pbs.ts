import { excerpt, requireJobId, runOrFail } from './command.js';
import { completePartialUsage } from './partial.js';
import { parseHmsDuration } from './time-format.js';
import { TimeLeftSourceError, type ResourceUsage, type SourceContext, type TimeLeftSource } from './types.js';

/**
 * PBS / Torque / OpenPBS: `qstat -f ID`. Used = the larger of cput and pcput, and walltime;
 * limit = the smaller of Resource_List cput and pcput, and Resource_List walltime. Unit CPU
 * (DIRAC leaves the unit unset for PBS, which its formula treats as CPU).
 */

const QSTAT = 'pbs:qstat';

/** Attributes of `qstat -f`: `    name = value`, long values continued on indented lines without " = ". */
export function parseQstatFullAttributes(stdout: string): Map<string, string> {
  const attributes = new Map<string, string>();
  let last: string | null = null;
  for (const line of stdout.split('\n')) {
    const match = /^\s+([\w.]+) = (.*)$/.exec(line);
    if (match) {
      last = match[1] as string;
      attributes.set(last, (match[2] as string).trim());
    } else if (last && /^\s/.test(line) && line.trim().length > 0) {
      attributes.set(last, `${attributes.get(last) ?? ''}${line.trim()}`);
    } else {
      last = null;
    }
  }
  return attributes;
}

export function parseQstatFull(stdout: string, elapsedSincePilotStart: number): ResourceUsage {
  if (!/^Job Id:/m.test(stdout)) throw new TimeLeftSourceError(QSTAT, `no "Job Id:" in output ${excerpt(stdout)}`);
  const attributes = parseQstatFullAttributes(stdout);
  const time = (name: string): number | null => {
    const text = attributes.get(name);
    if (text === undefined) return null;
    const seconds = parseHmsDuration(text);
    if (seconds === null) throw new TimeLeftSourceError(QSTAT, `${name} is not a duration: ${excerpt(text)}`);
    return seconds;
  };
  const usedCpu = maxOf(time('resources_used.cput'), time('resources_used.pcput'));
  const cpuLimit = minOf(time('Resource_List.cput'), time('Resource_List.pcput'));
  const usage: ResourceUsage = {
    CPU: usedCpu,
    CPULimit: cpuLimit,
    WallClock: time('resources_used.walltime'),
    WallClockLimit: time('Resource_List.walltime'),
    Unit: 'CPU',
    source: QSTAT,
  };
  if (usage.CPU !== null && usage.CPULimit !== null && usage.WallClock !== null && usage.WallClockLimit !== null) return usage;
  const completed = completePartialUsage(usage, elapsedSincePilotStart);
  if (!completed) throw new TimeLeftSourceError(QSTAT, 'neither Resource_List.cput/pcput nor Resource_List.walltime is set');
  return completed;
}

export const pbsSources: TimeLeftSource[] = [
  {
    name: QSTAT,
    async read(context: SourceContext) {
      const jobId = requireJobId(context, QSTAT, 'PBS_JOBID');
      // DIRAC appends the submitter's PBS_O_PATH: worker nodes often lack qstat on the default PATH.
      const extraPath = context.env.PBS_O_PATH;
      const env = extraPath ? { PATH: [context.env.PATH, extraPath].filter(Boolean).join(':') } : undefined;
      const stdout = await runOrFail(context, QSTAT, 'qstat', ['-f', jobId], env);
      return parseQstatFull(stdout, Math.max(0, context.now() - context.pilotStartedAt));
    },
  },
];

function maxOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
