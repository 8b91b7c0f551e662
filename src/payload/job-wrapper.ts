import { constants as fsConstants } from 'node:fs';
import { cp, mkdir, open, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SandboxNotFound, type Backend, type JobStatus, type MatchedJob, type StatusUpdate } from '../backend/types.js';
import type { Logger } from '../core/logger.js';
import { isPilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { NativeAddon } from '../native/types.js';
import type { JobDescription } from './job.js';
import type { Slot } from './slots.js';
import { payloadEnvironment } from './environment.js';
import { createJobCgroup, type JobCgroup } from './cgroup.js';
import { DiracEnvironmentMissing, payloadLaunch, type DiracPayloadConfig } from './dirac-payload.js';
import { CONTAINER_TOKEN_PATH, ensureTokensDir, tokenFileName, writePayloadToken, type PayloadTokenFile } from './payload-token.js';

/** Where the job owner's proxy appears inside an Apptainer container (bound read-only). */
export const CONTAINER_PROXY_PATH = '/tmp/.dirac_x509_user_proxy';
import { extractSandbox, packOutputSandbox, sha256FromPfn } from './sandbox/index.js';
import { isSandboxError } from './sandbox/errors.js';
import { FAILURE_CAUSES, JobFailure, KILL_CAUSES, type FailureCauseId, type FailureKind } from './failure-causes.js';
import { JobPathRefused, jobPathComponents, relativeJobPath } from './job-paths.js';
import { UnsafeJobFile } from './safe-open.js';
import { payloadIsolationGapFor, startPayload, type PayloadHandle, type KillReason } from './runner/index.js';
import type { SecretFiles } from './runner/secret-files.js';
import {
  jobInputData,
  jobOutputData,
  keepSandboxForStorage,
  outputSandboxLimit,
  rescheduleForData,
  wantsInputData,
  wantsOutputData,
  type JobDataOptions,
} from './job-data.js';
import { giveBackOrFail } from './give-back.js';
import { JOB_WRAPPER_SOURCE } from '../backend/report-source.js';
import { missingExecutable } from './executable-check.js';
import type { WatchdogLimits } from './runner/index.js';
import type { ResourceReport } from './watchdog/resource-report.js';
import { writeResourceReport } from './watchdog/resource-report-files.js';
import { windDownRule, WindDownError, type WindDownRule } from './watchdog/wind-down.js';

/** DIRAC v9's JobWrapper Source as a JobAgent-run job carries it: plain, no site (src/backend/report-source.ts). */
const SOURCE = JOB_WRAPPER_SOURCE;

/**
 * How the pilot runs payloads: decided once per pilot from parameters and the probe, with the
 * pilot's credential files that none of its payloads may see.
 */
export type RunnerChoice = (
  | { kind: 'direct'; reason: string }
  | { kind: 'apptainer'; binary: string; image: string; binds: string[]; userns: boolean; extraOptions: string[] }
) & { secretFiles: SecretFiles };

export interface JobRunOptions {
  job: MatchedJob;
  description: JobDescription;
  slot: Slot;
  backend: Backend;
  /** The pilot's work directory; the job gets `jobs/<id>` inside it. */
  workDir: string;
  site: string;
  runner: RunnerChoice;
  limits: WatchdogLimits;
  pilotEnv: NodeJS.ProcessEnv;
  /** The site's additions to every payload's environment (payload/environment.ts). */
  siteEnv?: Readonly<Record<string, string>>;
  logger: Logger;
  native: NativeAddon | null;
  /** Aborted when the pilot must stop: the payload is terminated and the job rescheduled. */
  shutdown: AbortSignal;
  /** Called with the running payload so the pilot's heartbeat loop can sample and kill it. */
  onStarted?: (jobId: number, handle: PayloadHandle) => void;
  /** The pilot's configured StopSig* values, which a job's JDL overrides (wind-down.ts). */
  windDownDefaults?: Partial<Record<string, unknown>>;
  /** Metadata reported at job start (HostName, ModelName, …). */
  startMetadata?: Record<string, string | number>;
  /** Keep the job directory after the job (debugging; `pilot exec` keeps it). */
  keepJobDir?: boolean;
  /**
   * `pilot exec`: plain InputSandbox entries are local paths relative to this directory and are
   * copied into the job directory. Without it they are names inside an SB archive and skipped.
   */
  localInputBase?: string;
  /** Edge mode: the edge pilot already extracted the input sandbox into the job directory. */
  inputStaged?: boolean;
  /** Where `dirac-jobexec` payloads get DIRAC from (legacy workflows). */
  diracPayloads?: DiracPayloadConfig;
  /**
   * Run PayloadToken jobs even where other payloads of this pilot could read the token (direct
   * runner without user namespaces): the site's choice (--allow-shared-payload-token).
   */
  allowSharedPayloadToken?: boolean;
  /**
   * More directories with one entry per job named by its id (edge mode's staged directory), of
   * which a namespaced payload sees only its own, as it sees only its own job directory.
   */
  privateAreaDirs?: string[];
  /** CPU power of a processor here (DIRAC's CPUNormalizationFactor): NormCPUTime(s) = CPU seconds × this. */
  cpuNormalizationFactor?: number;
}

export type { FailureKind };

export interface JobOutcome {
  jobId: number;
  status: Extract<JobStatus, 'Done' | 'Completed' | 'Failed' | 'Killed' | 'Rescheduled'>;
  minorStatus: string;
  exitCode: number | null;
  /** Why it did not end Done: the payload's, the job's input, the node's, a kill, or the pilot stopping (docs/failure-causes.md). */
  failure: FailureKind | null;
  /** The row of docs/failure-causes.md it ended by; null for Done (absent where the agent itself ended it). */
  cause?: FailureCauseId | null;
  cpuSeconds: number;
  wallSeconds: number;
  jobDir: string;
  /**
   * The server refused the pilot's credentials (TLS, 401/403) while this job was being reported:
   * the job agent stops taking work and the pilot ends with this error's exit code.
   */
  fatal?: unknown;
  /** The application status reported with the final status, when the job wrapper chose one. */
  applicationStatus?: string;
}

/** Errors that no retry and no other job will get past: the server refuses who we are. */
export function isCredentialRefusal(error: unknown): boolean {
  return isPilotError(error) && (error.exitCode === ExitCode.TLS || error.exitCode === ExitCode.AUTH_REFUSED);
}

/** Container failures that mean the image itself is bad: the job's when the job chose the image. */
const IMAGE_FAILURES = new Set(['image-not-found', 'image-unreadable']);

/**
 * The pilot's stop signal cancelled a sandbox transfer: the job did nothing wrong and goes back to
 * the queue, as a job whose payload the stop killed does.
 */
class StoppedDuringTransfer extends Error {
  constructor(readonly stage: 'input' | 'output') {
    super(`pilot stopped during the ${stage} sandbox transfer`);
  }
}

/**
 * Runs one matched job from start to final status, as DIRAC's JobWrapper does: Running/Job
 * Initialization, input sandbox, application, output sandbox, then Done or Failed. Every path,
 * including exceptions and pilot shutdown, ends with a final status handed to the backend.
 */
/**
 * The payload's prmon-compatible report: its files in the job directory (the output sandbox takes
 * them when the JDL lists them) and its summary in the job parameters. Best effort: a report that
 * cannot be written never changes how the job ends.
 */
function publishResourceReport(backend: Backend, jobId: number, jobDir: string, report: ResourceReport | undefined, log: Logger): void {
  if (!report) return;
  try {
    writeResourceReport(jobDir, report);
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'resource report (prmon.txt, prmon.json) not written');
  }
  backend
    .setJobMetadata(jobId, report.jobParameters())
    .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'resource summary not delivered'));
}

/**
 * The job's wind-down rule and the limits it implies: the CPU kill moves to StopSigFinishWork of
 * the watchdog's CPU budget, and the signal goes out at StopSigStartWork of it. Without a CPU
 * budget the signal is sent only when the pilot winds down (drain, shutdown time).
 */
function windDownFor(description: JobDescription, limits: WatchdogLimits, defaults: Partial<Record<string, unknown>> = {}) {
  let rule: WindDownRule | null;
  try {
    rule = windDownRule(description.raw, defaults);
  } catch (error) {
    if (error instanceof WindDownError) throw new JobFailure('description-invalid', error.message, error.message);
    throw error;
  }
  if (!rule) return null;
  const budget = limits.cpuSeconds ?? null;
  return {
    limits: budget ? { ...limits, cpuSeconds: budget * rule.finishFraction } : limits,
    option: { rule, atCpuSeconds: budget ? budget * rule.startFraction : null },
  };
}

export async function runJob(options: JobRunOptions): Promise<JobOutcome> {
  const { job, description, slot, backend, logger } = options;
  const log = logger.child({ job: job.jobId });
  const jobDir = path.join(options.workDir, 'jobs', String(job.jobId));
  const jobPath = (field: string, value: string) => jobPathIn(jobDir, field, value, 'file');
  const started = Date.now();
  const report = (update: Omit<StatusUpdate, 'source'>) => backend.setJobStatus(job.jobId, { ...update, source: SOURCE });
  // Progress reports do not hold the job up: the backend delivers them in order (DiracX batches
  // what queued up into one request); the final status is awaited (delivered, or spooled).
  const progress = (update: Omit<StatusUpdate, 'source'>): void => {
    report(update).catch((error: unknown) =>
      log.warn({ err: (error as Error).message, minor: update.minorStatus }, 'status update not delivered'),
    );
  };
  const outcome = (status: JobOutcome['status'], minorStatus: string, extra: Partial<JobOutcome> = {}): JobOutcome => ({
    jobId: job.jobId,
    status,
    minorStatus,
    exitCode: null,
    failure: null,
    cause: null,
    cpuSeconds: 0,
    wallSeconds: (Date.now() - started) / 1000,
    jobDir,
    ...extra,
  });
  /** A data step ended the job and reported it itself: name its cause in the job parameters too. */
  const dataEnd = (ended: JobOutcome, cause: FailureCauseId): JobOutcome => {
    backend
      .setJobMetadata(job.jobId, endParameters(cause))
      .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'job end parameters not delivered'));
    return { ...ended, cause };
  };

  /** The job did nothing wrong: give it back so another pilot runs it. */
  const giveBack = async (
    usage: { cpuSeconds: number; wallSeconds: number },
    from: 'Running' | 'Completing',
    cause: 'pilot-stopped' | 'end-of-allocation' = 'pilot-stopped',
  ): Promise<JobOutcome> => {
    await backend.setJobMetadata(job.jobId, { CPUConsumed: usage.cpuSeconds, ...endParameters(cause) }).catch(() => undefined);
    if (from === 'Completing') {
      // DiracX reschedules by setting Received through its state machine, which refuses it from
      // Completing (diracx-api.md §7): the job goes back to Running by the one path allowed,
      // Stalled, first; awaited, so the server has them (in order) before the reschedule.
      progress({ status: 'Stalled', minorStatus: 'Pilot stopped during the output sandbox upload' });
      await report({ status: 'Running', minorStatus: 'Pilot gives the job back' });
    }
    // A reschedule the server refuses (past MaxRescheduling) ends the job Failed, saying why.
    const given = await giveBackOrFail(backend, job.jobId, SOURCE, log);
    return outcome(given.status, given.minorStatus, { failure: 'pilot-stopped', cause, ...usage });
  };

  let result: JobOutcome;
  /** What the cause's row leaves open: the container failure pattern recognised. */
  let endDetail: string | null = null;
  let token: PayloadTokenFile | null = null;
  let cgroup: JobCgroup | null = null;
  /** The output sandbox tarball bound for storage (DIRAC's oversized sandbox), removed on every way out. */
  let sandboxToStorage: string | null = null;
  // Every way out (rescheduled, failed, done) removes the token file and, unless kept, the job directory.
  const parameters = (values: Record<string, string | number>): void => {
    backend
      .setJobMetadata(job.jobId, values)
      .catch((error: unknown) => log.warn({ err: (error as Error).message, names: Object.keys(values) }, 'job parameters not delivered'));
  };
  try {
    // The first report is awaited, as DIRAC's JobWrapper sends it before anything else: a server
    // that refuses the pilot's credentials stops the job here, before the payload runs.
    try {
      await report({ status: 'Running', minorStatus: 'Job Initialization' });
    } catch (error) {
      if (!isCredentialRefusal(error)) throw error;
      log.error({ err: (error as Error).message }, 'the server refuses the pilot: the job is not run, and handed back');
      await backend.reschedule([job.jobId]).catch((e: unknown) => log.warn({ err: (e as Error).message }, 'could not hand the job back'));
      return outcome('Rescheduled', 'Job Rescheduled', { failure: 'pilot-stopped', fatal: error });
    }
    try {
      // How the payload runs, and why it runs without a container when it does (issue: said in the job's status).
      const runner =
        options.runner.kind === 'direct'
          ? `direct: ${options.runner.reason}`
          : `apptainer: ${description.containerImage ?? options.runner.image}`;
      // The parameters DIRAC's JobWrapper sets at its start (__setInitialJobParameters).
      parameters({
        ...options.startMetadata,
        JobType: stringField(description.raw.JobType) ?? 'unknown',
        JobGroup: stringField(description.raw.JobGroup) ?? 'unknown',
        JobWrapperPID: process.pid,
        PayloadRunner: runner,
      });
      await mkdir(path.join(jobDir, 'tmp'), { recursive: true, mode: 0o700 });
      // Output patterns that could only name something outside the job directory fail the job
      // before it runs, rather than after, with its output lost.
      for (const pattern of description.outputSandbox) checkOutputPattern(pattern);

      if (!options.inputStaged && description.inputSandbox.length > 0) {
        progress({ minorStatus: 'Downloading InputSandbox' });
        await fetchInputSandboxes(options, jobDir, log);
      }
      // InputData/OutputData (src/data, through job-data.ts): DIRAC reschedules on either failing.
      const data: JobDataOptions = { job, description, backend, slot, jobDir, signal: options.shutdown, logger: log, progress };
      if (wantsInputData(description)) {
        const step = await jobInputData(data);
        if (step.kind !== 'ok') return dataEnd(outcome(...(await rescheduleForData(data, step))), 'input-data');
      }

      await makeExecutable(jobDir, description.executable, log);
      progress({ minorStatus: 'Application', applicationStatus: 'Running' });
      const env = payloadEnvironment({
        pilotEnv: options.pilotEnv,
        ...(options.siteEnv ? { siteEnv: options.siteEnv } : {}),
        job: description,
        slot,
        site: options.site,
        jobDir,
        container: options.runner.kind === 'apptainer',
      });
      const binds = options.runner.kind === 'apptainer' ? [...options.runner.binds] : [];
      if (job.payloadProxyPath) {
        // The job owner's own proxy (legacy DIRAC), never the pilot's: what grid tools in the payload use.
        if (options.runner.kind === 'apptainer') {
          binds.push(`${job.payloadProxyPath}:${CONTAINER_PROXY_PATH}:ro`);
          env.X509_USER_PROXY = CONTAINER_PROXY_PATH;
        } else {
          env.X509_USER_PROXY = job.payloadProxyPath;
        }
      }
      if (description.payloadToken) {
        // The owner's token must be visible to this payload alone (docs/reliability.md, threat model).
        const gap = payloadIsolationGapFor(options.runner);
        if (gap !== null && !options.allowSharedPayloadToken) {
          throw new JobFailure(
            'payload-token-refused',
            `PayloadToken refused: other payloads of this pilot could read the token (${gap})`,
            'other payloads of this pilot could read it',
          );
        }
        if (!job.credentials)
          throw new JobFailure('payload-token-unavailable', 'the job asked for a token (PayloadToken) but the match gave none');
        token = await writePayloadToken(options.workDir, job.jobId, job.credentials);
        if (options.runner.kind === 'apptainer') {
          binds.push(`${token.file}:${CONTAINER_TOKEN_PATH}:ro`);
          env.BEARER_TOKEN_FILE = CONTAINER_TOKEN_PATH;
        } else {
          env.BEARER_TOKEN_FILE = token.file;
        }
      }
      let launch;
      try {
        launch = payloadLaunch(description, options.diracPayloads ?? {}, options.runner.kind);
      } catch (error) {
        if (error instanceof DiracEnvironmentMissing) throw new JobFailure('dirac-environment-missing', error.message);
        throw error;
      }
      if (options.runner.kind === 'direct') {
        // "Application not found", as DIRAC says it, not an exit code 127 from whatever wraps the launch.
        const missing = await missingExecutable(launch.argv[0]!, jobDir, env.PATH);
        if (missing) throw new JobFailure('application-not-found', missing);
      }
      // The kernel enforces the job's memory share too, where the node delegates cgroups to us.
      // The job names its output files: inside its directory, never a link, a directory or a FIFO.
      const stdoutFile = jobPath('StdOutput', description.stdOutput);
      const stderrFile = jobPath('StdError', description.stdError);
      cgroup = await createJobCgroup(job.jobId, slot.memoryLimitMB, log, undefined, { noSwap: description.memoryNoSwap });
      const jobChoseImage = launch.image === undefined && description.containerImage !== null;
      const windDown = windDownFor(description, options.limits, options.windDownDefaults);
      const handle = startPayloadOrRefuse({
        jobId: job.jobId,
        argv: launch.argv,
        cwd: jobDir,
        env,
        stdoutFile,
        stderrFile,
        runner:
          options.runner.kind === 'direct'
            ? { kind: 'direct' }
            : {
                kind: 'apptainer',
                binary: options.runner.binary,
                image: launch.image ?? description.containerImage ?? options.runner.image,
                binds,
                userns: options.runner.userns,
                nv: slot.gpus.length > 0,
                extraOptions: options.runner.extraOptions,
                workdirBase: path.join(jobDir, '.apptainer'),
              },
        secretFiles: options.runner.secretFiles,
        limits: windDown?.limits ?? options.limits,
        ...(windDown ? { windDown: windDown.option } : {}),
        logger: log,
        native: options.native,
        // Pinned only when the slot has a CPU id per processor (not on an over-subscribed pilot).
        ...(slot.cpuIds.length === slot.processors ? { cpuSet: slot.cpuIds } : {}),
        ...(cgroup ? { cgroupProcsFile: cgroup.procsFile } : {}),
        // With namespaces, this payload sees neither the other jobs' directories nor their tokens.
        privateAreas: [
          { dir: path.join(options.workDir, 'jobs'), keep: String(job.jobId) },
          { dir: await ensureTokensDir(options.workDir), keep: tokenFileName(job.jobId) },
          ...(options.privateAreaDirs ?? []).map((dir) => ({ dir, keep: String(job.jobId) })),
          // Its owner's proxy (and DiracX token, mixed mode): the other jobs' proxies beside it stay unseen.
          ...(job.payloadProxyPath ? [{ dir: path.dirname(job.payloadProxyPath), keep: path.basename(job.payloadProxyPath) }] : []),
        ],
      });
      options.onStarted?.(job.jobId, handle);
      if (handle.pid > 0) parameters({ PayloadPID: handle.pid });
      const onShutdown = () => handle.kill('pilot-signal', 'pilot received a stop signal');
      options.shutdown.addEventListener('abort', onShutdown, { once: true });
      if (options.shutdown.aborted) onShutdown();
      let payload = await handle.done.finally(() => options.shutdown.removeEventListener('abort', onShutdown));
      let oomKilled = false;
      if (payload.killReason === null && payload.exitCode !== 0 && (await cgroup?.oomKilled())) {
        // The kernel's OOM killer acted inside the job cgroup before the watchdog's next sample.
        oomKilled = true;
        payload = { ...payload, killReason: 'memory', minorStatus: FAILURE_CAUSES['oom-kill'].minorStatus };
      }
      const usage = { cpuSeconds: payload.usage.cpuSeconds, wallSeconds: payload.usage.wallSeconds };

      // The batch system signals every process of the slot at once: a payload that died of a signal
      // while the pilot itself is stopping was killed with the slot, not for anything it did.
      const killedWithSlot = options.shutdown.aborted && payload.killReason === null && payload.exitCode !== 0;
      // The slot's time ran out under the job (DIRAC #8528): not the job's doing either.
      if (payload.killReason === 'pilot-signal' || payload.killReason === 'timeleft' || killedWithSlot) {
        const why =
          payload.killReason === 'timeleft'
            ? "Pilot stopped: the slot's time ran out"
            : `Pilot stopped: ${String((options.shutdown.reason as Error | undefined)?.message ?? 'stop signal')}`;
        await report({ minorStatus: 'Going to reschedule job', applicationStatus: why }).catch((error: unknown) =>
          log.warn({ err: (error as Error).message }, 'reschedule reason not delivered'),
        );
        return await giveBack(usage, 'Running', payload.killReason === 'timeleft' ? 'end-of-allocation' : 'pilot-stopped');
      }

      publishResourceReport(backend, job.jobId, jobDir, payload.resources, log);
      // DIRAC's JobWrapper: CPU figures, then the application's verdict, then the outputs.
      // Whole seconds: DiracX's JobMetaData types both as integers (a float is refused with 422).
      parameters({
        'TotalCPUTime(s)': Math.round(usage.cpuSeconds),
        'NormCPUTime(s)': Math.round(usage.cpuSeconds * (options.cpuNormalizationFactor ?? 0)),
      });
      const appFailed = payload.killReason === null && !payload.containerFailure && payload.exitCode !== 0;
      const appSucceeded = payload.killReason === null && !payload.containerFailure && payload.exitCode === 0;
      const how = payload.signal ? `killed by ${payload.signal}` : `exit code ${payload.exitCode ?? -1}`;
      if (appSucceeded) progress({ status: 'Completing', minorStatus: 'Application Finished Successfully', applicationStatus: 'Finished' });
      if (appFailed)
        progress({ status: 'Completing', minorStatus: 'Application Finished With Errors', applicationStatus: `Failed (${how})` });

      // A failed job's upload is not announced: its status stays the failure (DIRAC's failedFlag).
      const returned = await returnOutputSandbox(options, jobDir, log, appSucceeded ? progress : null, parameters);
      const uploadProblem = returned.problem;
      sandboxToStorage = returned.toStorage;
      const killedByServer = payload.killReason === 'server';
      if (uploadProblem !== null && options.shutdown.aborted) {
        log.warn('output sandbox upload cancelled by the stop signal; giving the job back');
        return await giveBack(usage, 'Completing');
      }

      if (killedByServer) {
        result = outcome('Killed', payload.minorStatus, { exitCode: payload.exitCode, failure: 'killed', cause: 'server-kill', ...usage });
      } else if (payload.containerFailure) {
        // An image the job named that cannot be found or opened is the job's; anything else the node's.
        const jobs = jobChoseImage && IMAGE_FAILURES.has(payload.containerFailure.pattern);
        result = outcome('Failed', payload.containerFailure.minorStatus, {
          exitCode: payload.exitCode,
          failure: jobs ? 'job' : 'node',
          cause: jobs ? 'container-image' : 'container-failed',
          ...usage,
        });
        endDetail = payload.containerFailure.pattern;
      } else if (payload.killReason !== null) {
        const cause = oomKilled ? 'oom-kill' : KILL_CAUSES[payload.killReason];
        result = outcome('Failed', payload.minorStatus, { exitCode: payload.exitCode, failure: 'application', cause, ...usage });
      } else if (appSucceeded) {
        const step =
          uploadProblem === null && (wantsOutputData(description) || sandboxToStorage)
            ? await jobOutputData(data, { sandboxTarball: sandboxToStorage })
            : null;
        if (uploadProblem) result = outcome('Failed', uploadProblem, { exitCode: 0, failure: 'node', cause: 'output-upload', ...usage });
        else if (step?.kind === 'reschedule') return dataEnd(outcome(...(await rescheduleForData(data, step, usage))), 'output-data');
        else if (step?.kind === 'fail')
          result = outcome('Failed', step.minorStatus, { exitCode: 0, failure: 'node', cause: 'failover-request', ...usage });
        else if (step?.pendingRequest) result = outcome('Completed', 'Pending Requests', { exitCode: 0, ...usage });
        else result = outcome('Done', 'Execution Complete', { exitCode: 0, ...usage });
      } else {
        const notFound = payload.minorStatus === FAILURE_CAUSES['application-not-found'].minorStatus;
        // DIRAC leaves the minor status at "Application Finished With Errors"; the exit code is in the application status.
        result = notFound
          ? outcome('Failed', payload.minorStatus, {
              exitCode: payload.exitCode,
              failure: 'application',
              cause: 'application-not-found',
              ...usage,
            })
          : outcome('Failed', 'Application Finished With Errors', {
              exitCode: payload.exitCode,
              failure: 'application',
              cause: 'application-errors',
              ...usage,
            });
        if (!notFound) result.applicationStatus = `Failed (${how})`;
      }
      if (!appSucceeded && !killedByServer && sandboxToStorage) {
        // DIRAC uploads a failed job's output sandbox tarball to storage in any case (its
        // OutputData not): the job stays Failed; a tarball that goes nowhere reschedules it.
        const step = await jobOutputData(data, { sandboxTarball: sandboxToStorage, sandboxOnly: true, announce: false });
        if (step.kind === 'reschedule') return dataEnd(outcome(...(await rescheduleForData(data, step, usage))), 'output-data');
        if (step.kind === 'fail') log.error({ err: step.reason }, 'failover request for the output sandbox not stored');
      }
    } catch (error) {
      if (error instanceof StoppedDuringTransfer) {
        log.warn('input sandbox download cancelled by the stop signal; giving the job back');
        try {
          return await giveBack({ cpuSeconds: 0, wallSeconds: (Date.now() - started) / 1000 }, 'Running');
        } catch (giveBackError) {
          // The server could not be told: the final status below says why, delivered or spooled.
          error = giveBackError;
        }
      }
      const failure =
        error instanceof JobFailure ? error : new JobFailure('wrapper-exception', (error as Error).message, (error as Error).message);
      if (failure.causeId === 'input-download') {
        // As DIRAC's JobWrapper: a job whose input sandbox could not be downloaded goes back to the
        // queue (another node, or later, may get it), with the reason in its history first.
        log.error({ err: failure.message, cause: failure.causeId }, 'input sandbox download failed; giving the job back');
        // Awaited so the reason is in the history before the reschedule; a server that cannot hear it
        // must not stop the give-back: the reschedule (or the Failed that replaces it) is still
        // tried, and what cannot be delivered is spooled, so the job never stays Running for good.
        await report({ minorStatus: failure.minorStatus }).catch((e: unknown) =>
          log.warn({ err: (e as Error).message }, 'download failure not delivered'),
        );
        const given = await giveBackOrFail(backend, job.jobId, SOURCE, log);
        const ended = outcome(given.status, given.status === 'Rescheduled' ? failure.minorStatus : given.minorStatus, {
          failure: failure.kind,
          cause: failure.causeId,
        });
        log.info({ status: ended.status, minor: ended.minorStatus }, `job ${job.jobId} ${ended.status}`);
        return ended;
      }
      log.error({ err: failure.message, cause: failure.causeId }, `job failed before its end: ${failure.minorStatus}`);
      result = outcome('Failed', failure.minorStatus, { failure: failure.kind, cause: failure.causeId });
    }

    if (result.status === 'Killed' && !backend.killedJobsEndFailed) {
      // The reason the pilot saw goes into the history (the server set Killed; Killed → Killed is allowed).
      backend
        .setJobMetadata(job.jobId, endParameters(result.cause ?? null, endDetail))
        .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'job end parameters not delivered'));
      await report({ status: 'Killed', minorStatus: result.minorStatus, applicationStatus: endApplicationStatus(result) });
    } else {
      backend
        .setJobMetadata(job.jobId, endParameters(result.cause ?? null, endDetail))
        .catch((error: unknown) => log.warn({ err: (error as Error).message }, 'job end parameters not delivered'));
      // Legacy DIRAC: the heartbeat that carried the Kill set the job Running again, so the end
      // is ours to report, as DIRAC's JobWrapper does: Failed / Received Kill signal.
      const status = result.status === 'Killed' ? 'Failed' : result.status;
      const applicationStatus = result.applicationStatus ?? endApplicationStatus(result);
      try {
        await report({ status, minorStatus: result.minorStatus, applicationStatus });
      } catch (error) {
        if (!isCredentialRefusal(error)) throw error;
        result.fatal = error;
        log.error({ err: (error as Error).message }, "the final status was refused with the pilot's credentials");
      }
    }
    log.info({ status: result.status, minor: result.minorStatus, cpu: result.cpuSeconds }, `job ${job.jobId} ${result.status}`);
    return result;
  } finally {
    if (sandboxToStorage) await rm(path.dirname(sandboxToStorage), { recursive: true, force: true }).catch(() => undefined);
    await token?.remove();
    await cgroup?.remove();
    if (!options.keepJobDir) await rm(jobDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** The ApplicationStatus of a job's final status: its cause's, the exit code or signal filled in for a failed payload. */
function endApplicationStatus(result: JobOutcome): string {
  if (!result.cause)
    return result.status === 'Done' || result.status === 'Completed' ? 'Finished' : `Failed (exit code ${result.exitCode ?? -1})`;
  if (result.cause === 'application-errors') return result.minorStatus.replace(/^Application Finished With Errors /, 'Failed ');
  return FAILURE_CAUSES[result.cause].applicationStatus;
}

/** The job parameters that name how a job ended (docs/failure-causes.md): 0 and `done` for Done. */
function endParameters(cause: FailureCauseId | null, detail: string | null = null): Record<string, string | number> {
  return {
    JobEndCode: cause === null ? 0 : FAILURE_CAUSES[cause].code,
    JobEndCause: cause ?? 'done',
    ...(detail ? { JobEndDetail: detail } : {}),
  };
}

/** A job-controlled path inside jobDir, relative to it (job-paths.ts); refused as the job's own failure. */
function jobPathIn(jobDir: string, field: string, value: string, expect: 'file' | 'any'): string {
  try {
    return relativeJobPath(jobDir, field, value, { expect });
  } catch (error) {
    if (error instanceof JobPathRefused) throw new JobFailure('path-refused', error.message, error.message);
    throw error;
  }
}

/**
 * An OutputSandbox pattern names files inside the job directory: absolute, `..`, or the directory
 * itself is refused (job-paths.ts). `LFN:`/`SB:` entries are not local files (left to the packer,
 * which skips them) and glob characters are matched later, without following links (glob.ts).
 */
function checkOutputPattern(pattern: string): void {
  if (/^[A-Za-z]+:/.test(pattern.trim())) return;
  try {
    jobPathComponents('OutputSandbox', pattern.trim());
  } catch (error) {
    if (error instanceof JobPathRefused) throw new JobFailure('path-refused', error.message, error.message);
    throw error;
  }
}

/** startPayload, with a stdout/stderr name the open refused (a link or FIFO put there meanwhile) as the job's failure. */
function startPayloadOrRefuse(options: Parameters<typeof startPayload>[0]): PayloadHandle {
  try {
    return startPayload(options);
  } catch (error) {
    // A link, FIFO, directory or hard link under the name is the job's doing; a disk that refuses
    // to create the file (ENOSPC, EACCES, EIO) is the node's.
    if (error instanceof UnsafeJobFile && error.reason !== 'io') throw new JobFailure('path-refused', error.message, error.message);
    throw error;
  }
}

async function fetchInputSandboxes(options: JobRunOptions, jobDir: string, log: Logger): Promise<void> {
  const { job, description, backend } = options;
  for (const [i, entry] of description.inputSandbox.entries()) {
    if (/^LFN:/i.test(entry)) {
      throw new JobFailure('input-lfn', `input sandbox ${entry}: LFN inputs need DIRAC data management`);
    }
    if (!entry.startsWith('SB:')) {
      if (options.localInputBase === undefined) {
        log.debug({ entry }, 'input sandbox entry is not a sandbox PFN; expected inside an SB archive');
        continue;
      }
      // `pilot exec`: a local file beside the job file. The copy lands under its own name in the
      // job directory, where nothing of that name may be a link or a directory already.
      const source = path.resolve(options.localInputBase, entry);
      const target = path.join(jobDir, jobPathIn(jobDir, 'InputSandbox', path.basename(source), 'any'));
      try {
        await cp(source, target, { recursive: true, errorOnExist: false });
      } catch (error) {
        throw new JobFailure('input-local-missing', `input ${source}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, entry);
      }
      continue;
    }
    const archive = path.join(options.workDir, 'jobs', `${job.jobId}.input-${i}.tar`);
    try {
      await backend.downloadSandbox(job, entry, archive);
    } catch (error) {
      // A cut, refused or cancelled download leaves no partial archive behind, whatever the backend did.
      await rm(archive, { force: true }).catch(() => undefined);
      if (options.shutdown.aborted) throw new StoppedDuringTransfer('input');
      const tooLarge = errorCodes(error).includes('DOWNLOAD_TOO_LARGE');
      throw new JobFailure(
        'input-download',
        `input sandbox ${entry}: ${(error as Error).message}`,
        tooLarge
          ? 'larger than the 100 MiB sandbox limit'
          : error instanceof SandboxNotFound
            ? 'sandbox not found on the server'
            : undefined,
      );
    }
    try {
      // A DiracX PFN names the archive's sha256: check it before a byte is unpacked.
      const expectedSha256 = sha256FromPfn(entry);
      await extractSandbox(archive, jobDir, { logger: log, ...(expectedSha256 ? { expectedSha256 } : {}) });
    } catch (error) {
      // A refused archive is the job's problem, not the node's; a failing disk is the node's.
      const message = (error as Error).message;
      if (isSandboxError(error) && error.reason === 'io') throw new JobFailure('input-unpack-io', message, message);
      throw new JobFailure('input-refused', message, message);
    } finally {
      await rm(archive, { force: true });
    }
  }
}

/** Every `code` along an error's cause chain (a backend's own error classes stay out of payload/). */
function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let current: unknown = error, depth = 0; current && typeof current === 'object' && depth < 6; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/**
 * Packs and uploads the output sandbox. `problem`: null on success, else the minor status to
 * report. `announce` (a job that succeeded) reports Completing / Uploading Output Sandbox and
 * Output Sandbox Uploaded; a failed job keeps its failure as status, as DIRAC's JobWrapper does.
 * Where the backend has a data path (legacy DIRAC), a tarball over JobWrapper/OutputSandboxLimit,
 * or one the sandbox store did not take, is kept for storage (`toStorage`), as DIRAC's
 * SandboxStoreClient hands it back to the JobWrapper for upload as output data.
 */
async function returnOutputSandbox(
  options: JobRunOptions,
  jobDir: string,
  log: Logger,
  announce: ((update: Omit<StatusUpdate, 'source'>) => void) | null,
  parameters: (values: Record<string, string | number>) => void,
): Promise<{ problem: string | null; toStorage: string | null }> {
  const { description, job, backend } = options;
  const patterns = description.outputSandbox;
  if (patterns.length === 0) return { problem: null, toStorage: null };
  const format = backend.outputSandboxFormat ?? 'tar.zst';
  const archive = path.join(options.workDir, 'jobs', `${job.jobId}.output.${format}`);
  const limit = outputSandboxLimit({ backend, job });
  const toStorage = () => keepSandboxForStorage(archive, path.join(options.workDir, 'jobs', `${job.jobId}.sandbox-to-storage`));
  try {
    const packed = await packOutputSandbox(jobDir, patterns, archive, { logger: log, format });
    if (packed.missing.length > 0) {
      log.warn({ missing: packed.missing }, 'output sandbox files not found');
      parameters({ OutputSandboxMissingFiles: packed.missing.map((name) => path.basename(name)).join(', ') });
    }
    if (packed.skipped.length > 0)
      log.warn({ skipped: packed.skipped }, 'output sandbox entries left out (links out of the job directory, …)');
    announce?.({ status: 'Completing', minorStatus: 'Uploading Output Sandbox' });
    // DIRAC compares the compressed tarball with the limit (0: no limit).
    if (limit !== null && limit > 0 && packed.size > limit) {
      log.warn({ size: packed.size, limit }, 'output sandbox over the sandbox limit: it goes to storage as output data');
      return { problem: null, toStorage: await toStorage() };
    }
    try {
      await backend.uploadOutputSandbox(job, packed);
    } catch (error) {
      if (limit === null || options.shutdown.aborted) throw error;
      log.error({ err: (error as Error).message }, 'output sandbox upload failed: it goes to storage as output data');
      return { problem: null, toStorage: await toStorage() };
    }
    announce?.({ status: 'Completing', minorStatus: 'Output Sandbox Uploaded' });
    return { problem: null, toStorage: null };
  } catch (error) {
    log.error({ err: (error as Error).message }, 'output sandbox upload failed');
    return { problem: 'Uploading Job OutputSandbox Failed', toStorage: null };
  } finally {
    await rm(archive, { force: true });
  }
}

/**
 * The executable DIRAC's JobWrapper runs gets mode 0775 when it is not executable (a script from
 * the input sandbox usually is not). Only a regular file of the job directory, reached without
 * leaving it: a link the job planted is not followed, and nothing outside is touched.
 */
export async function makeExecutable(jobDir: string, executable: string, log: Logger): Promise<void> {
  if (!executable || path.isAbsolute(executable) || executable.includes('$')) return;
  const candidate = path.resolve(jobDir, executable);
  try {
    const realJobDir = await realpath(jobDir);
    const parent = await realpath(path.dirname(candidate));
    const rel = path.relative(realJobDir, parent);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return;
  } catch {
    return; // no such file: found on PATH, or the job fails with its own error
  }
  let handle;
  try {
    const resolved = path.join(await realpath(path.dirname(candidate)), path.basename(candidate));
    handle = await open(resolved, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
  } catch {
    return;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || (info.mode & 0o100) !== 0) return;
    await handle.chmod(0o775);
    log.info({ executable }, 'executable was not executable: mode set to 0775, as DIRAC does');
  } catch (error) {
    log.warn({ executable, err: (error as Error).message }, 'could not make the executable executable');
  } finally {
    await handle.close();
  }
}

function stringField(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** Metadata DIRAC's JobWrapper reports at job start. */
export function startMetadata(input: {
  site?: string;
  modelName: string;
  memoryMB: number;
  localJobId: string | null;
  pilotReference: string;
  gridCE: string;
  queue: string;
  batchSystem: string | null;
  cpuNormalizationFactor: number;
  pilotStamp: string;
  diracVersion: string;
}): Record<string, string | number> {
  const meta: Record<string, string | number> = {
    HostName: os.hostname(),
    LocalAccount: os.userInfo().username,
    ModelName: input.modelName,
    'Memory(MB)': input.memoryMB,
    // DIRAC's JobWrapper: the DIRAC version the pilot runs (here: the release it reports); the stamp is PilotStamp.
    PilotAgent: input.diracVersion,
    PilotStamp: input.pilotStamp,
    Pilot_Reference: input.pilotReference,
    CPUNormalizationFactor: input.cpuNormalizationFactor,
  };
  // Site is a job attribute DiracX takes from a GenericPilot: without it the job's Site stays
  // what the submission set (usually ANY), as the matcher sets it in DIRAC (diracx-api.md §7).
  if (input.site) meta.Site = input.site;
  // Empty values say nothing and overwrite nothing useful: not sent.
  if (input.gridCE) meta.GridCE = input.gridCE;
  if (input.queue) meta.CEQueue = input.queue;
  if (input.localJobId) meta.LocalJobID = input.localJobId;
  if (input.batchSystem) meta.BatchSystem = input.batchSystem;
  return meta;
}

export type { KillReason, PayloadHandle };
