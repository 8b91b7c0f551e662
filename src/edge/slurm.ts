import { execa } from 'execa';

/** What the edge pilot needs from the batch system; Slurm today, injectable for tests. */
export interface BatchSubmitter {
  /** Submits `script` for one allocation; returns the batch job id. */
  submit(request: AllocationRequest): Promise<string>;
  /** State of each batch job id given: 'pending' | 'running' | 'gone' (finished, cancelled, unknown). */
  states(ids: readonly string[]): Promise<Map<string, BatchState>>;
  cancel(id: string): Promise<void>;
  /** The partition's time limit in minutes, when it has one. */
  partitionMaxMinutes(partition: string | undefined): Promise<number | null>;
}

export type BatchState = 'pending' | 'running' | 'gone';

export interface AllocationRequest {
  name: string;
  script: string;
  workDir: string;
  outputFile: string;
  cpus: number;
  memoryMB: number;
  gpus: number;
  timeLimitMinutes: number;
  partition?: string;
}

const TIMEOUT_MS = 30_000;

/** `sbatch` arguments for one allocation: cores, memory, GPUs and time limit exactly as asked. */
export function sbatchArgs(request: AllocationRequest): string[] {
  return [
    '--parsable',
    `--job-name=${request.name}`,
    `--chdir=${request.workDir}`,
    `--output=${request.outputFile}`,
    '--nodes=1',
    '--ntasks=1',
    `--cpus-per-task=${request.cpus}`,
    `--mem=${request.memoryMB}M`,
    `--time=${request.timeLimitMinutes}`,
    // TERM reaches the compute-side pilot (the batch shell, B:) two minutes before the limit.
    '--signal=B:TERM@120',
    ...(request.gpus > 0 ? [`--gres=gpu:${request.gpus}`] : []),
    ...(request.partition ? [`--partition=${request.partition}`] : []),
    request.script,
  ];
}

/** Parses `sbatch --parsable` output: `<id>` or `<id>;<cluster>`. */
export function parseSbatchId(stdout: string): string {
  const id = stdout.trim().split(';')[0] ?? '';
  if (!/^\d+(_\d+)?$/.test(id)) throw new Error(`sbatch printed no job id: ${JSON.stringify(stdout.trim().slice(0, 200))}`);
  return id;
}

/** squeue's compact states (`%t`): PD pending, R/CG/CF/S running-ish; anything absent is gone. */
export function parseSqueueStates(stdout: string, ids: readonly string[]): Map<string, BatchState> {
  const states = new Map<string, BatchState>(ids.map((id) => [id, 'gone']));
  for (const line of stdout.split('\n')) {
    const [id, code] = line.trim().split(/\s+/);
    if (!id || !code || !states.has(id)) continue;
    states.set(id, code === 'PD' || code === 'CF' ? 'pending' : ['R', 'CG', 'S', 'ST'].includes(code) ? 'running' : 'gone');
  }
  return states;
}

/** `MaxTime=1-00:00:00` (or UNLIMITED) from `scontrol show partition -o`, in minutes. */
export function parsePartitionMaxTime(stdout: string): number | null {
  const match = stdout.match(/\bMaxTime=(\S+)/);
  if (!match || match[1] === 'UNLIMITED' || match[1] === 'INFINITE') return null;
  const text = match[1]!;
  const [days, rest] = text.includes('-') ? (text.split('-') as [string, string]) : ['0', text];
  const parts = rest.split(':').map(Number);
  if (parts.some((n) => !Number.isFinite(n))) return null;
  const [h, m, s] = parts.length === 3 ? parts : parts.length === 2 ? [0, parts[0]!, parts[1]!] : [0, parts[0]!, 0];
  return Number(days) * 1440 + h! * 60 + m! + Math.ceil(s! / 60);
}

export const slurm: BatchSubmitter = {
  async submit(request) {
    const result = await execa('sbatch', sbatchArgs(request), { timeout: TIMEOUT_MS, reject: false });
    if (result.exitCode !== 0) throw new Error(`sbatch failed (${result.exitCode}): ${String(result.stderr).trim().split('\n')[0]}`);
    return parseSbatchId(String(result.stdout));
  },
  async states(ids) {
    if (ids.length === 0) return new Map();
    const result = await execa('squeue', ['-h', '-o', '%i %t', '-j', ids.join(',')], { timeout: TIMEOUT_MS, reject: false });
    // squeue exits 1 with "Invalid job id" once every id has left the queue: all gone.
    if (result.exitCode !== 0 && !/Invalid job id/i.test(String(result.stderr))) {
      throw new Error(`squeue failed (${result.exitCode}): ${String(result.stderr).trim().split('\n')[0]}`);
    }
    return parseSqueueStates(String(result.stdout), ids);
  },
  async cancel(id) {
    await execa('scancel', [id], { timeout: TIMEOUT_MS, reject: false });
  },
  async partitionMaxMinutes(partition) {
    const args = partition ? ['show', 'partition', partition, '-o'] : ['show', 'partition', '-o'];
    const result = await execa('scontrol', args, { timeout: TIMEOUT_MS, reject: false });
    return result.exitCode === 0 ? parsePartitionMaxTime(String(result.stdout).split('\n')[0] ?? '') : null;
  },
};
