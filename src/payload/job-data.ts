/**
 * The job wrapper's data steps, kept out of job-wrapper.ts: the JDL's InputData/OutputData keys
 * read, the backend's data services asked for, src/data run, and DIRAC's statuses and decisions
 * (reschedule on unresolvable input or on outputs that went nowhere; Completed with Pending
 * Requests when a failover request was stored) handed back to the wrapper.
 */
import type { Backend, MatchedJob, StatusUpdate } from '../backend/types.js';
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
  return String(v).split(/[;,]/).map((x) => x.trim()).filter(Boolean);
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
 * JobWrapper.__transferOutputDataFiles and the failover part of finalize: "Uploading Output
 * Data", "Output Data Uploaded"; the failover request stored in the request service. Returns
 * whether a request is pending (final status Completed/Pending Requests).
 */
export async function jobOutputData(options: JobDataOptions): Promise<DataStep & { pendingRequest?: boolean }> {
  const { description, job } = options;
  options.progress({ status: 'Completing', minorStatus: 'Uploading Output Data' });
  const data = services(options);
  if (!data)
    return {
      kind: 'reschedule',
      minorStatus: 'Uploading Outputs',
      reason: `the ${options.backend.kind} backend has no data management: OutputData cannot be uploaded`,
    };
  const setParam = setParameter(options);
  try {
    const result = await uploadOutputData(
      {
        jobId: job.jobId,
        jobName: str(field(description, 'JobName')) || undefined,
        owner: description.owner,
        ownerGroup: description.ownerGroup,
        outputData: list(field(description, 'OutputData')),
        outputSE: list(field(description, 'OutputSE')),
        outputPath: str(field(description, 'OutputPath')),
        jobDir: options.jobDir,
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
    if (result.missing.length > 0) {
      options.progress({ status: 'Failed', minorStatus: 'Uploading Output Data' });
      return { kind: 'reschedule', minorStatus: 'Uploading Outputs', reason: `Failed to upload OutputData: ${result.missing.join(', ')}` };
    }
    options.progress({ status: 'Completing', minorStatus: 'Output Data Uploaded' });
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
      source: 'JobWrapper',
    });
    await backend.reschedule([job.jobId]);
    return ['Rescheduled', step.minorStatus, { failure: 'job', ...usage }];
  } catch (error) {
    logger.error({ err: (error as Error).message }, 'reschedule refused; the job fails');
    await backend.setJobStatus(job.jobId, { status: 'Failed', minorStatus: step.minorStatus, source: 'JobWrapper' }).catch(() => undefined);
    return ['Failed', step.minorStatus, { failure: 'job', ...usage }];
  }
}
