import { excerpt, requireJobId, runOrFail } from './command.js';
import { completePartialUsage } from './partial.js';
import { parseSgeDuration } from './time-format.js';
import { TimeLeftSourceError, type ResourceUsage, type SourceContext, type TimeLeftSource } from './types.js';

/**
 * (Son of / Univa / Altair) Grid Engine: `qstat -f -j ID` gives CPU used (`usage 1: cpu=...`) and
 * hard limits (`hard resource_list: h_cpu=...,h_rt=...`); the execution host's usage_scaling
 * (`qconf -se HOST`) says by how much SGE inflated the CPU figure. Wall clock used is not
 * reported: the partial-result rules (partial.ts) stand in for it. Unit CPU.
 */

const QSTAT = 'sge:qstat';

export interface SgeJobTimes {
  cpu: number | null;
  cpuLimit: number | null;
  wallLimit: number | null;
}

export function parseSgeQstatJob(stdout: string): SgeJobTimes {
  if (!/^job_number:/m.test(stdout)) throw new TimeLeftSourceError(QSTAT, `no "job_number:" in output ${excerpt(stdout)}`);
  let cpu: number | null = null;
  let cpuLimit: number | null = null;
  let wallLimit: number | null = null;
  for (const line of stdout.split('\n')) {
    const usage = /^usage\s+\d+:\s*(.*)$/.exec(line);
    if (usage) {
      const cpuText = /(?:^|[\s,])cpu=([^,\s]+)/.exec(usage[1] as string)?.[1];
      if (cpuText !== undefined) {
        const seconds = parseSgeDuration(cpuText);
        if (seconds === null) throw new TimeLeftSourceError(QSTAT, `usage cpu= is not a duration: ${excerpt(cpuText)}`);
        // One usage line per array task / PE slave: the slot's figure is the largest.
        cpu = cpu === null ? seconds : Math.max(cpu, seconds);
      }
    }
    const hard = /^hard resource_list:\s*(.*)$/.exec(line);
    if (hard) {
      for (const item of (hard[1] as string).split(',')) {
        const [name, value] = item.trim().split('=') as [string, string | undefined];
        if (value === undefined) continue;
        if (name === 'h_cpu' || name === 's_cpu' || name === 'h_rt' || name === 's_rt') {
          const seconds = parseSgeDuration(value);
          if (seconds === null) throw new TimeLeftSourceError(QSTAT, `${name} is not a duration: ${excerpt(value)}`);
          // The soft limit signals the job first, so it is the one that ends useful work.
          if (name.endsWith('_cpu')) cpuLimit = cpuLimit === null ? seconds : Math.min(cpuLimit, seconds);
          else wallLimit = wallLimit === null ? seconds : Math.min(wallLimit, seconds);
        }
      }
    }
  }
  return { cpu, cpuLimit, wallLimit };
}

/** `qconf -se HOST`: the cpu factor of `usage_scaling cpu=F,...`, or null when NONE or absent. */
export function parseUsageScaling(stdout: string): number | null {
  const line = stdout.split('\n').find((candidate) => /^usage_scaling\s/.test(candidate));
  if (!line) return null;
  const factor = /(?:\s|,)cpu=([\d.]+)/.exec(line)?.[1];
  if (factor === undefined) return null;
  const value = Number(factor);
  return Number.isFinite(value) && value > 0 ? value : null;
}

export function sgeUsage(times: SgeJobTimes, cpuScaling: number | null, elapsedSincePilotStart: number): ResourceUsage {
  const usage: ResourceUsage = {
    CPU: times.cpu !== null && cpuScaling ? times.cpu / cpuScaling : times.cpu,
    CPULimit: times.cpuLimit,
    WallClock: null,
    WallClockLimit: times.wallLimit,
    Unit: 'CPU',
    source: QSTAT,
  };
  const completed = completePartialUsage(usage, elapsedSincePilotStart);
  if (!completed) throw new TimeLeftSourceError(QSTAT, 'no h_cpu/s_cpu or h_rt/s_rt in the hard resource list');
  return completed;
}

export const sgeSources: TimeLeftSource[] = [
  {
    name: QSTAT,
    async read(context: SourceContext) {
      const jobId = requireJobId(context, QSTAT, 'JOB_ID');
      const binaryPath = context.env.SGE_BINARY_PATH;
      const env = binaryPath ? { PATH: [context.env.PATH, binaryPath].filter(Boolean).join(':') } : undefined;
      const times = parseSgeQstatJob(await runOrFail(context, QSTAT, 'qstat', ['-f', '-j', jobId], env));
      let scaling: number | null = null;
      if (times.cpu) {
        const qconf = await context.run('qconf', ['-se', context.hostname], env ? { env } : undefined);
        if (qconf.exitCode === 0) scaling = parseUsageScaling(qconf.stdout);
        else context.logger.warn({ host: context.hostname }, `sge: qconf -se failed (${qconf.exitCode}); CPU used taken unscaled`);
      }
      return sgeUsage(times, scaling, Math.max(0, context.now() - context.pilotStartedAt));
    },
  },
];
