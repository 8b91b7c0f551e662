/**
 * The job wrapper's data steps, kept out of job-wrapper.ts: the JDL's InputData/OutputData keys
 * read, the backend's data services asked for, src/data run, and DIRAC's statuses and decisions
 * (reschedule on unresolvable input or on outputs that went nowhere; Completed with Pending
 * Requests when a failover request was stored) handed back to the wrapper.
 */
import { randomInt } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Backend, MatchedJob, StatusUpdate } from '../backend/types.js';
import { JOB_WRAPPER_SOURCE } from '../backend/report-source.js';
import type { Logger } from '../core/logger.js';
import { DataError } from '../data/errors.js';
import { diskShareFor, resolveInputData } from '../data/input-data.js';
import { failoverRequest, uploadOutputData } from '../data/output-data.js';
import { requestDigest } from '../data/request-digest.js';
import { createStorage, type Storage } from '../data/storage/index.js';
import type { JobDataServices } from '../data/types.js';
import type { JobDescription } from './job.js';
import type { Slot } from './slots.js';

const list = (v: unknown): string[] => {
  if (v === undefined || v === null || v === '') return [];
  if (Array.isArray(v)) return v.map((x) => String(x).trim()).filter(Boolean);
  // DIRAC splits a string OutputData on ';' and takes a string InputData as one LFN.
  return String(v)
    .split(/[;,]/)
    .map((x) => x.trim())
    .filter(Boolean);
};
const str = (v: unknown): string => (Array.isArray(v) ? String(v[0] ?? '') : v === undefined || v === null ? '' : String(v)).trim();

function field(description: JobDescription, key: string): unknown {
  if (key in description.raw) return description.raw[key];
  const lower = key.toLowerCase();
  const found = Object.keys(description.raw).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : description.raw[found];
}

export function wantsInputData(description: JobDescription): boolean {
  return list(field(description, 'InputData')).length > 0;
}
export function wantsOutputData(description: JobDescription): boolean {
  return list(field(description, 'OutputData')).length > 0;
}

export interface JobDataOptions {
  job: MatchedJob;
  description: JobDescription;
  backend: Backend;
  slot: Slot;
  jobDir: string;
  signal: AbortSignal;
  logger: Logger;
  progress: (update: Omit<StatusUpdate, 'source'>) => void;
  /** Test seam: the storage protocols (default: file, root via xrdcp, https/davs). */
  storage?: Storage;
  transferTimeoutMs?: number;
}

/** What the wrapper does next. */
export type DataStep =
  { kind: 'ok' } | { kind: 'reschedule'; minorStatus: string; reason: string } | { kind: 'fail'; minorStatus: string; reason: string };

function services(options: JobDataOptions): JobDataServices | null {
  return options.backend.dataServices?.(options.job) ?? null;
}

function setParameter(options: JobDataOptions): (name: string, value: string) => void {
  return (name, value) => {
    options.backend
      .setJobMetadata(options.job.jobId, { [name]: value })
      .catch((error: unknown) => options.logger.warn({ err: (error as Error).message, name }, 'job parameter not delivered'));
  };
}

/** JobWrapper.resolveInputData: "Input Data Resolution", then reschedule on any failure. */
export async function jobInputData(options: JobDataOptions): Promise<DataStep> {
  const { description } = options;
  options.progress({ minorStatus: 'Input Data Resolution' });
  const data = services(options);
  if (!data)
    return {
      kind: 'reschedule',
      minorStatus: 'Input Data Resolution',
      reason: `the ${options.backend.kind} backend has no data management: InputData cannot be resolved`,
    };
  try {
    const result = await resolveInputData(
      {
        jobId: options.job.jobId,
        inputData: list(field(description, 'InputData')),
        inputDataPolicy: list(field(description, 'InputDataPolicy')),
        inputDataModule: str(field(description, 'InputDataModule')) || null,
        jobDir: options.jobDir,
        diskShare: diskShareFor(options.slot.processors),
      },
      {
        services: data,
        storage: options.storage ?? createStorage(),
        signal: options.signal,
        transferTimeoutMs: options.transferTimeoutMs ?? 300_000,
        logger: options.logger,
        setParameter: setParameter(options),
      },
    );
    options.logger.info({ files: result.resolved.size, bytes: result.totalSize }, 'input data resolved');
    return { kind: 'ok' };
  } catch (error) {
    const reason = (error as Error).message;
    options.logger.error({ err: reason, kind: (error as DataError).kind }, 'input data resolution failed');
    return { kind: 'reschedule', minorStatus: 'Input Data Resolution', reason };
  }
}

/**
 * The output sandbox limit of the backend's data path (legacy DIRAC: the CS's
 * JobWrapper/OutputSandboxLimit, 10 MiB by default); null where the backend has no data
 * management (DiracX), whose sandbox store alone decides what it takes.
 */
export function outputSandboxLimit(options: Pick<JobDataOptions, 'backend' | 'job'>): number | null {
  return options.backend.dataServices?.(options.job)?.config.outputSandboxLimitBytes ?? null;
}

/** Python's tempfile alphabet: DIRAC's SandboxStoreClient names its tarball with mkstemp(prefix="LDSB."). */
const TEMP_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789_';

/** `LDSB.` and eight random characters, the name DIRAC's oversized sandbox tarball has (and so its LFN). */
export function oversizedSandboxName(): string {
  let name = 'LDSB.';
  for (let i = 0; i < 8; i++) name += TEMP_ALPHABET[randomInt(TEMP_ALPHABET.length)];
  return name;
}

/**
 * Moves the packed output sandbox to `dir` under DIRAC's tarball name, to be uploaded as output
 * data; returns its new path. The directory is the pilot's own (outside the job directory, so a
 * job file of the same name is never touched).
 */
export async function keepSandboxForStorage(archive: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const target = path.join(dir, oversizedSandboxName());
  await rename(archive, target);
  return target;
}

export interface OutputDataExtras {
  /** The output sandbox tarball that did not go to the sandbox store (over the limit, or refused). */
  sandboxTarball?: string | null;
  /** Upload the tarball alone (a failed job: DIRAC uploads no OutputData, but the sandbox in any case). */
  sandboxOnly?: boolean;
  /** Report the Completing statuses (a job that succeeded); a failed job keeps its failure as status. */
  announce?: boolean;
}

/**
 * JobWrapper.__transferOutputDataFiles and the failover part of finalize: "Uploading Output
 * Data", "Output Data Uploaded"; the failover request stored in the request service. Returns
 * whether a request is pending (final status Completed/Pending Requests). An output sandbox
 * tarball the sandbox store did not take goes the same way, and once on storage the job
 * parameters OutputSandbox and OutputSandboxLFN say where (DIRAC's client downloads it from there).
 */
export async function jobOutputData(
  options: JobDataOptions,
  extras: OutputDataExtras = {},
): Promise<DataStep & { pendingRequest?: boolean }> {
  const { description, job } = options;
  const announce = extras.announce ?? true;
  const progress = announce ? options.progress : () => undefined;
  progress({ status: 'Completing', minorStatus: 'Uploading Output Data' });
  const data = services(options);
  if (!data)
    return {
      kind: 'reschedule',
      minorStatus: 'Uploading Outputs',
      reason: `the ${options.backend.kind} backend has no data management: OutputData cannot be uploaded`,
    };
  const setParam = setParameter(options);
  const tarball = extras.sandboxTarball ?? null;
  try {
    const result = await uploadOutputData(
      {
        jobId: job.jobId,
        jobName: str(field(description, 'JobName')) || undefined,
        owner: description.owner,
        ownerGroup: description.ownerGroup,
        outputData: extras.sandboxOnly ? [] : list(field(description, 'OutputData')),
        outputSE: list(field(description, 'OutputSE')),
        outputPath: str(field(description, 'OutputPath')),
        jobDir: options.jobDir,
        ...(tarball ? { extraFiles: [{ name: path.basename(tarball), path: tarball }] } : {}),
      },
      {
        services: data,
        storage: options.storage ?? createStorage(),
        signal: options.signal,
        transferTimeoutMs: options.transferTimeoutMs ?? 300_000,
        logger: options.logger,
        setParameter: setParam,
      },
    );
    const storedSandbox = tarball ? result.uploaded.find((u) => u.localFile === path.basename(tarball)) : undefined;
    if (storedSandbox) {
      // The LFN the tarball really has (DIRAC names the jobID path here even under an OutputPath).
      setParam('OutputSandbox', 'Sandbox uploaded to grid storage');
      setParam('OutputSandboxLFN', storedSandbox.lfn);
    }
    if (result.missing.length > 0) {
      progress({ status: 'Failed', minorStatus: 'Uploading Output Data' });
      return { kind: 'reschedule', minorStatus: 'Uploading Outputs', reason: `Failed to upload OutputData: ${result.missing.join(', ')}` };
    }
    progress({ status: 'Completing', minorStatus: 'Output Data Uploaded' });
    if (result.operations.length === 0) return { kind: 'ok' };
    const request = failoverRequest(
      {
        jobId: job.jobId,
        jobName: str(field(description, 'JobName')) || undefined,
        owner: description.owner,
        ownerGroup: description.ownerGroup,
      },
      result.operations,
      data.config,
    );
    // DIRAC tries hard (ten times) before failing the job: outputs without their request are lost.
    let last: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await data.requests.putRequest(request);
        setParam('PendingRequest', requestDigest(request));
        return { kind: 'ok', pendingRequest: true };
      } catch (error) {
        last = error;
        options.logger.warn({ attempt, err: (error as Error).message }, 'failover request not stored; retrying');
        await new Promise((r) => setTimeout(r, 1000 * (attempt + 1) ** 2));
      }
    }
    return { kind: 'fail', minorStatus: 'Failed sending requests', reason: (last as Error).message };
  } catch (error) {
    const reason = (error as Error).message;
    options.logger.error({ err: reason }, 'output data upload failed');
    return { kind: 'reschedule', minorStatus: 'Uploading Outputs', reason };
  }
}

/**
 * DIRAC's rescheduleFailedJob: ApplicationStatus "Failed <step> ", Rescheduled with the step as
 * minor status, then JobManager.rescheduleJob; a server that refuses (maximum reschedulings
 * reached) leaves the job Failed. Returns the wrapper's outcome arguments.
 */
export async function rescheduleForData(
  options: JobDataOptions,
  step: Exclude<DataStep, { kind: 'ok' }>,
  usage: { cpuSeconds: number; wallSeconds: number } = { cpuSeconds: 0, wallSeconds: 0 },
): Promise<['Rescheduled' | 'Failed', string, { failure: 'job'; cpuSeconds: number; wallSeconds: number }]> {
  const { backend, job, logger } = options;
  logger.warn({ step: step.minorStatus, reason: step.reason }, 'data step failed; rescheduling the job as DIRAC does');
  try {
    await backend.setJobStatus(job.jobId, {
      status: 'Rescheduled',
      minorStatus: step.minorStatus,
      applicationStatus: `Failed ${step.minorStatus} `,
      source: JOB_WRAPPER_SOURCE,
    });
    await backend.reschedule([job.jobId]);
    return ['Rescheduled', step.minorStatus, { failure: 'job', ...usage }];
  } catch (error) {
    logger.error({ err: (error as Error).message }, 'reschedule refused; the job fails');
    await backend
      .setJobStatus(job.jobId, { status: 'Failed', minorStatus: step.minorStatus, source: JOB_WRAPPER_SOURCE })
      .catch(() => undefined);
    return ['Failed', step.minorStatus, { failure: 'job', ...usage }];
  }
}
