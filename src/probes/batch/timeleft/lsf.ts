import path from 'node:path';
import { excerpt, firstLine, requireJobId, runOrFail } from './command.js';
import { parseHmsDuration } from './time-format.js';
import { TimeLeftSourceError, type ResourceUsage, type SourceContext, type TimeLeftSource } from './types.js';

/**
 * IBM Spectrum LSF. Queue limits (`bqueues -l QUEUE`: CPULIMIT / RUNLIMIT in minutes, possibly
 * "of" a reference host or model) are in the reference host's units; the execution host's CPU
 * factor relative to that reference (`lshosts -w`, else `lsinfo -m`) turns them into real
 * seconds on this host. `bjobs -W ID` gives CPU used and the start time. Unit CPU.
 * DIRAC also reads the HostModel section of lsf.shared when both commands fail; this port stops
 * at the commands and takes the reference factor as 1, as DIRAC does when that also fails.
 */

const SOURCE = 'lsf:bjobs';

export interface LsfQueueLimits {
  cpuLimit: number | null;
  wallLimit: number | null;
  /** Host or model the limits are expressed in ("720.0 min of KSI2K"), if any. */
  reference: string | null;
}

/** `bqueues -l QUEUE`: the line after "CPULIMIT" / "RUNLIMIT" reads `<minutes> min [of <reference>]`. */
export function parseBqueuesLimits(stdout: string): LsfQueueLimits {
  const lines = stdout.split('\n');
  const limits: LsfQueueLimits = { cpuLimit: null, wallLimit: null, reference: null };
  lines.forEach((line, index) => {
    const header = line.trim();
    if (header !== 'CPULIMIT' && header !== 'RUNLIMIT') return;
    const value = (lines[index + 1] ?? '').trim();
    const match = /^([\d.]+)\s+min(?:\s+of\s+(\S+))?/.exec(value);
    if (!match) throw new TimeLeftSourceError(SOURCE, `bqueues ${header} is not "<minutes> min [of <host>]": ${excerpt(value)}`);
    const seconds = Number(match[1]) * 60;
    if (header === 'CPULIMIT') {
      limits.cpuLimit = seconds;
      limits.reference = match[2] ?? null;
    } else {
      limits.wallLimit = seconds;
      limits.reference ??= match[2] ?? null;
    }
  });
  return limits;
}

/** `lshosts -w HOST`: the `cpuf` column of the host's row; null when the output has no such table. */
export function parseLshostsCpuFactor(stdout: string): number | null {
  const rows = stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((row) => row.length > 1);
  const header = rows[0];
  const row = rows[1];
  if (!header || !row) return null;
  const column = header.indexOf('cpuf');
  if (column < 0 || row.length < header.length - 1) return null;
  const value = Number(row[column]);
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** `lsinfo -m`: MODEL_NAME CPU_FACTOR rows; the factor of the first model whose name contains `reference`. */
export function parseLsinfoModelFactor(stdout: string, reference: string): number | null {
  for (const line of stdout.split('\n').slice(1)) {
    const [model, factorText] = line.trim().split(/\s+/);
    if (!model || factorText === undefined || !model.includes(reference)) continue;
    const value = Number(factorText);
    if (Number.isFinite(value) && value > 0) return value;
  }
  return null;
}

/**
 * `bjobs -W ID`: CPU_USED (`hhh:mm:ss.ss`) and START_TIME (`mm/dd-HH:MM:SS`, local time, no year).
 * Columns are found by pattern, not position: JOB_NAME and MEM may contain spaces.
 */
export function parseBjobsWide(stdout: string, now: Date): { cpu: number; wallClock: number } {
  const lines = stdout.split('\n').filter((line) => line.trim().length > 0);
  const header = lines[0] ?? '';
  const row = lines[1];
  if (!/\bCPU_USED\b/.test(header) || !/\bSTART_TIME\b/.test(header) || row === undefined) {
    throw new TimeLeftSourceError(SOURCE, `bjobs -W output has no CPU_USED/START_TIME row: ${excerpt(stdout)}`);
  }
  const cpuText = /\s(\d+:\d{2}:\d{2}(?:\.\d+)?)\s/.exec(` ${row} `)?.[1];
  const cpu = cpuText === undefined ? null : parseHmsDuration(cpuText);
  if (cpu === null) throw new TimeLeftSourceError(SOURCE, `no CPU_USED value in ${excerpt(row)}`);
  // SUBMIT_TIME comes first, START_TIME second, FINISH_TIME ("-" while running) last.
  const stamps = [...row.matchAll(/\b(\d{2})\/(\d{2})-(\d{2}):(\d{2}):(\d{2})\b/g)];
  const start = stamps[1];
  if (!start) throw new TimeLeftSourceError(SOURCE, `no START_TIME in ${excerpt(row)} (job not started?)`);
  const [, month, day, hours, minutes, seconds] = start.map(Number) as [number, number, number, number, number, number];
  let started = new Date(now.getFullYear(), month - 1, day, hours, minutes, seconds);
  // No year in the output: a start "in the future" began last year (a job running over New Year).
  if (started.getTime() > now.getTime() + 60_000) started = new Date(now.getFullYear() - 1, month - 1, day, hours, minutes, seconds);
  return { cpu, wallClock: Math.max(0, (now.getTime() - started.getTime()) / 1000) };
}

export function lsfUsage(
  limits: LsfQueueLimits,
  hostFactor: number,
  referenceFactor: number,
  used: { cpu: number; wallClock: number },
): ResourceUsage {
  // Limits are in reference-host seconds; this host does hostFactor/referenceFactor as much per second.
  const relative = hostFactor / referenceFactor;
  return {
    CPU: used.cpu,
    CPULimit: limits.cpuLimit === null ? null : limits.cpuLimit / relative,
    WallClock: used.wallClock,
    WallClockLimit: limits.wallLimit === null ? null : limits.wallLimit / relative,
    Unit: 'CPU',
    source: SOURCE,
  };
}

export const lsfSources: TimeLeftSource[] = [
  {
    name: SOURCE,
    async read(context: SourceContext) {
      const jobId = requireJobId(context, SOURCE, 'LSB_JOBID');
      const queue = context.env.LSB_QUEUE;
      if (!queue) throw new TimeLeftSourceError(SOURCE, 'LSB_QUEUE is not set');
      const host = context.env.LSB_HOSTS?.trim().split(/\s+/)[0];
      if (!host) throw new TimeLeftSourceError(SOURCE, "LSB_HOSTS is not set: cannot find this host's CPU factor");
      // DIRAC insists on LSF_BINDIR; without it the commands are looked up on PATH.
      const bin = (name: string): string => (context.env.LSF_BINDIR ? path.join(context.env.LSF_BINDIR, name) : name);

      const limits = parseBqueuesLimits(await runOrFail(context, SOURCE, bin('bqueues'), ['-l', queue]));
      if (limits.cpuLimit === null && limits.wallLimit === null) {
        throw new TimeLeftSourceError(SOURCE, `queue ${queue} has neither CPULIMIT nor RUNLIMIT`);
      }
      let referenceFactor: number | null = null;
      if (limits.reference) {
        const byHost = await context.run(bin('lshosts'), ['-w', limits.reference]);
        if (byHost.exitCode === 0) referenceFactor = parseLshostsCpuFactor(byHost.stdout);
        if (referenceFactor === null) {
          const models = await context.run(bin('lsinfo'), ['-m']);
          if (models.exitCode === 0) referenceFactor = parseLsinfoModelFactor(models.stdout, limits.reference);
        }
        if (referenceFactor === null) {
          context.logger.warn({ reference: limits.reference }, 'lsf: reference CPU factor unknown, taking 1');
        }
      }
      const hostResult = await context.run(bin('lshosts'), ['-w', host]);
      const hostFactor = hostResult.exitCode === 0 ? parseLshostsCpuFactor(hostResult.stdout) : null;
      if (hostFactor === null) {
        const reason = hostResult.exitCode === 0 ? `no cpuf column in ${excerpt(hostResult.stdout)}` : firstLine(hostResult.stderr);
        throw new TimeLeftSourceError(SOURCE, `cannot determine the CPU factor of host ${host}: ${reason}`);
      }
      const used = parseBjobsWide(await runOrFail(context, SOURCE, bin('bjobs'), ['-W', jobId]), new Date(context.now() * 1000));
      return lsfUsage(limits, hostFactor, referenceFactor ?? 1, used);
    },
  },
];
