/**
 * Where a pilot can tell its batch system what runs in the slot (issue 21 §6), as glideinWMS and
 * PanDA pilot3 do: HTCondor job attributes through condor_chirp, the Slurm job's comment.
 * Each target turns the slot's current picture into one command line; nothing here runs it.
 */
import { findExecutable } from '../core/find-executable.js';

/** What the batch system is told: who fills the slot, and each job's latest state. */
export interface SlotPicture {
  pilotStamp: string;
  vo: string;
  /** Job id → its latest status, in the order the jobs were taken. */
  jobs: ReadonlyMap<number, string>;
  /** The job whose state changed last. */
  lastJobId: number;
}

export interface NotifyCommand {
  file: string;
  args: string[];
}

export interface BatchTarget {
  name: 'htcondor-chirp' | 'slurm-comment';
  commands(picture: SlotPicture): NotifyCommand[];
}

type Env = Readonly<Record<string, string | undefined>>;

/** `123:Running,124:Done`: short enough for one attribute or comment, readable by a site admin. */
export function jobList(jobs: ReadonlyMap<number, string>, limit = 16): string {
  const entries = [...jobs].slice(-limit).map(([id, status]) => `${id}:${status}`);
  return entries.join(',');
}

/** A ClassAd string literal: chirp takes an expression, and job-chosen text must stay a string. */
export function classadString(value: string): string {
  return `"${value.replace(/[^A-Za-z0-9 _.,:@/+=-]/g, '')}"`;
}

/**
 * HTCondor: only when the starter enabled chirp for this job (it then sets `_CONDOR_CHIRP_CONFIG`,
 * WantIOProxy in the submit file). Delayed attributes cost the schedd nothing until the next
 * starter update, and HTCondor only accepts delayed names that start with `Chirp`.
 */
export function htcondorChirp(env: Env): BatchTarget | null {
  if (!env._CONDOR_CHIRP_CONFIG) return null;
  const chirp = findExecutable('condor_chirp', env, ['/usr/libexec/condor']);
  if (!chirp) return null;
  return {
    name: 'htcondor-chirp',
    commands: (picture) => {
      const attributes: Array<[string, string]> = [
        ['ChirpDiracPilotStamp', classadString(picture.pilotStamp)],
        ['ChirpDiracVO', classadString(picture.vo)],
        ['ChirpDiracJobID', String(picture.lastJobId)],
        ['ChirpDiracJobState', classadString(picture.jobs.get(picture.lastJobId) ?? 'Unknown')],
        ['ChirpDiracJobs', classadString(jobList(picture.jobs))],
      ];
      return attributes.map(([name, value]) => ({ file: chirp, args: ['set_job_attr_delayed', name, value] }));
    },
  };
}

/** Slurm: a job's owner may set its comment; `squeue -o %k` then shows what fills the slot. */
export function slurmComment(env: Env): BatchTarget | null {
  const jobId = env.SLURM_JOB_ID ?? env.SLURM_JOBID;
  if (!jobId || !/^\d+(_\d+)?$/.test(jobId)) return null;
  const scontrol = findExecutable('scontrol', env, []);
  if (!scontrol) return null;
  return {
    name: 'slurm-comment',
    commands: (picture) => [
      {
        file: scontrol,
        args: ['update', `JobId=${jobId}`, `Comment=${slurmCommentText(picture)}`],
      },
    ],
  };
}

export function slurmCommentText(picture: SlotPicture): string {
  const text = `DIRAC pilot ${picture.pilotStamp} vo=${picture.vo} jobs=${jobList(picture.jobs)}`;
  // Slurm keeps comments as given; keep it printable and short.
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 250);
}

/** The targets this slot offers, in the order they are told. */
export function batchTargets(env: Env): BatchTarget[] {
  return [htcondorChirp(env), slurmComment(env)].filter((target): target is BatchTarget => target !== null);
}
