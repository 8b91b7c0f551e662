import { readLoadAverage } from '../probes/load-average.js';
import { waitForLoad, type LoadGateRules } from './load-gate.js';
import { watchForWindDown } from './wind-down-watch.js';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend, DiracResources, HeartbeatData, MatchedJob, MatchRequest } from '../backend/types.js';
import type { Logger } from '../core/logger.js';
import { isPilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { NativeAddon } from '../native/types.js';
import { describeMatchedJob } from '../payload/job-description.js';
import { SlotPool, isSlot } from '../payload/slots.js';
import { countsTowardBlackHole, provesNodeWorks } from '../payload/failure-causes.js';
import { checkMatchReply, type MatchRefusal, type MatchRefusalReason } from '../payload/match-check.js';
import { isCredentialRefusal, runJob, type JobOutcome, type RunnerChoice, type PayloadHandle } from '../payload/job-wrapper.js';
import type { WatchdogLimits } from '../payload/runner/index.js';
import type { DiracPayloadConfig } from '../payload/dirac-payload.js';
import { firstStopRule, type Stop, type StopFacts, type StopReason } from './stop-rules.js';
import { giveBackOrFail } from '../payload/give-back.js';
import { reportJobReceived, reportSubmitting } from './agent-reports.js';
import { JOB_WRAPPER_SOURCE, jobAgentSource } from '../backend/report-source.js';

/** DIRAC's JobAgent rules (dirac-pilot.md §2), with the Pool CE defaults applied by the caller. */
export interface JobAgentRules {
  /** How many outcomes the report keeps (the most recent); default RECENT_OUTCOMES. */
  recentOutcomes?: number;
  maxCycles: number;
  pollingTimeSeconds: number;
  stopOnApplicationFailure: boolean;
  stopAfterFailedMatches: number;
  fillingMode: boolean;
  /** Stop when CPU work left drops below this (DIRAC MinimumTimeLeft, CPU work units). */
  minimumTimeLeft: number;
  drainFile: string;
  /** Consecutive node-caused failures after which the node is a black hole. */
  blackHoleThreshold: number;
  heartbeatSeconds: number;
  /** Absolute time (ms) after which no new job is taken (pilot lifetime). */
  deadline: number | null;
  /** Longest the pilot waits, after a stop signal, for running jobs to be reported. */
  shutdownGraceMs: number;
  /** Don't take a job onto an overloaded node (load-gate.ts); absent or factor 0: off. */
  loadGate?: LoadGateRules & { processors: number };
  /** Running payloads get their wind-down signal when this little wall-clock time is left (wind-down-watch.ts). */
  windDownLeadSeconds?: number;
}

export interface JobAgentOptions {
  backend: Backend;
  pool: SlotPool;
  rules: JobAgentRules;
  pilotStamp: string;
  vo: string;
  /** The resource description and node document for the currently free part of the slot. */
  describeFree(
    free: { processors: number; memoryMB: number; gpus: number },
    cpuWorkLeft: number,
  ): { resources: DiracResources; node: Record<string, unknown> };
  /** CPU work left now, recomputed from what the pilot and its payloads consumed. */
  cpuWorkLeft(cpuConsumedSeconds: number): Promise<number> | number;
  /** Wall-clock seconds left in the slot as last read (null when the batch system counts CPU only). */
  wallSecondsLeft?: () => number | null;
  /** Everything runJob needs besides the job and its slot. */
  job: {
    workDir: string;
    /** The site the pilot runs as (-n, pilot.json, /LocalSite/Site): also in the JobAgent's Source, `JobAgent@<site>`. */
    site: string;
    runner: RunnerChoice;
    inputStaged?: boolean;
    allowSharedPayloadToken?: boolean;
    privateAreaDirs?: string[];
    diracPayloads?: DiracPayloadConfig;
    limits: (jobId: number, request: { maxWallSeconds: number | null; cpuWork: number | null; memoryMB: number | null }) => WatchdogLimits;
    pilotEnv: NodeJS.ProcessEnv;
    /** The site's payload environment; per job where each job brought its own (edge mode's job.json). */
    siteEnv?: Readonly<Record<string, string>> | ((jobId: number) => Readonly<Record<string, string>>);
    /** The pilot's StopSig* values, which a job's JDL overrides. */
    windDownDefaults?: Partial<Record<string, unknown>>;
    native: NativeAddon | null;
    startMetadata?: Record<string, string | number>;
    cpuNormalizationFactor?: number;
  };
  logger: Logger;
  shutdown: AbortSignal;
  /** Called once per job the agent took, with its outcome, as soon as it is known. */
  onJobEnd?: (outcome: JobOutcome) => Promise<void> | void;
  /**
   * Make DIRAC's JobAgent reports for each job (src/agent/agent-reports.ts); default true. False
   * on a compute node running staged jobs: the edge pilot made them where it matched the jobs.
   */
  agentReports?: boolean;
}

export type { StopReason } from './stop-rules.js';

export interface JobAgentReport {
  stopReason: StopReason;
  detail: string;
  /** The most recent outcomes (at most RECENT_OUTCOMES), oldest first. */
  outcomes: JobOutcome[];
  /** Every job the agent took, by final status. */
  counts: Partial<Record<JobOutcome['status'], number>>;
  cycles: number;
  /** Jobs of match replies the agent refused to run (src/payload/match-check.ts), when there were any. */
  matchRefusals?: { jobId: number; reason: MatchRefusalReason }[];
}

/**
 * Outcomes kept for the report: a pilot may run jobs for days, and one record per job for its
 * whole life would grow without bound; the counts cover them all.
 */
export const RECENT_OUTCOMES = 1000;

/**
 * The job agent: match jobs while the slot has room and time, run each through the job
 * wrapper, heartbeat them together, and stop by DIRAC's rules or when told to. Every job it
 * took is in `outcomes` with a final status when it returns.
 */
export async function runJobAgent(options: JobAgentOptions): Promise<JobAgentReport> {
  const { backend, pool, rules, logger, shutdown } = options;
  const running = new Map<number, { promise: Promise<JobOutcome>; handle?: PayloadHandle }>();
  const outcomes: JobOutcome[] = [];
  const counts: JobAgentReport['counts'] = {};
  const record = (outcome: JobOutcome) => {
    counts[outcome.status] = (counts[outcome.status] ?? 0) + 1;
    outcomes.push(outcome);
    if (outcomes.length > (rules.recentOutcomes ?? RECENT_OUTCOMES)) outcomes.shift();
  };
  const matchRefusals: NonNullable<JobAgentReport['matchRefusals']> = [];
  let failedMatches = 0;
  let consecutiveNodeFailures = 0;
  let cpuConsumed = 0;
  let cycles = 0;
  let stop: Stop | null = null;
  // A match that failed after the transport's retries; rethrown once the running jobs are reported.
  let lastMatchError: unknown = null;
  let fatal: unknown = null;
  let jobFatal: unknown = null;
  // Resolved whenever a job ends, so waits for matching or for a free slot wake up early.
  let wake: () => void = () => undefined;
  let woken = new Promise<void>((resolve) => (wake = resolve));
  const nudge = () => {
    wake();
    woken = new Promise<void>((resolve) => (wake = resolve));
  };
  const onAbort = () => nudge();
  shutdown.addEventListener('abort', onAbort);

  const heartbeats = startHeartbeats(backend, running, rules.heartbeatSeconds, logger);
  const stopWindDownWatch = watchForWindDown({
    drainFile: rules.drainFile,
    leadSeconds: rules.windDownLeadSeconds ?? 0,
    wallSecondsLeft: () => options.wallSecondsLeft?.() ?? null,
    running: () => [...running.values()].flatMap((entry) => ('handle' in entry && entry.handle ? [entry.handle] : [])),
    logger,
  });
  // A status reply that already says Killed is a kill, as the heartbeat's Kill command is.
  backend.onServerKill?.((jobId) => {
    const entry = running.get(jobId);
    if (!entry?.handle) return;
    logger.warn({ job: jobId }, 'the server reports the job Killed');
    entry.handle.kill('server', 'Received Kill signal');
  });

  const finish = (outcome: JobOutcome) => {
    record(outcome);
    if (outcome.fatal !== undefined && jobFatal === null) {
      // The server refuses the pilot's credentials: every further job would be stranded Matched.
      // Kept apart from `fatal`, which the loop's own ends overwrite, and raised first.
      jobFatal = outcome.fatal;
      stop = { reason: 'server-error', detail: `job ${outcome.jobId}: ${(outcome.fatal as Error).message}` };
    }
    cpuConsumed += outcome.cpuSeconds;
    // Only the node's or the pilot's failures count; a job's own input says nothing about the node
    // (docs/failure-causes.md), and neither ends a streak.
    if (countsTowardBlackHole(outcome.failure)) consecutiveNodeFailures++;
    else if (provesNodeWorks(outcome.failure, outcome.status === 'Done')) consecutiveNodeFailures = 0;
    if (outcome.failure === 'application' && rules.stopOnApplicationFailure && !stop) {
      stop = {
        reason: 'application-failure',
        detail: `job ${outcome.jobId} failed (${outcome.minorStatus}) and StopOnApplicationFailure is set`,
      };
    }
    if (consecutiveNodeFailures >= rules.blackHoleThreshold && !stop) {
      stop = {
        reason: 'black-hole',
        detail: `${consecutiveNodeFailures} jobs in a row failed for node reasons, last: ${outcome.minorStatus}`,
      };
    }
  };

  /** A job the agent only reports on (never runs): tracked like a running one until reported. */
  const trackReport = (job: MatchedJob, reporting: Promise<JobOutcome>) => {
    const promise = reporting
      .catch((error: unknown): JobOutcome => {
        logger.error({ job: job.jobId, err: (error as Error).message }, 'could not report the job');
        return unreportedOutcome(job.jobId, error);
      })
      .then((outcome) => {
        running.delete(job.jobId);
        backend.forgetJob?.(job.jobId);
        record(outcome);
        nudge();
        return outcome;
      });
    running.set(job.jobId, { promise });
  };

  /**
   * A job of the reply the agent will not run. One it already runs, or a repeat within the reply,
   * is not touched (any status would be about the job running here); one beyond what was asked
   * for is given back, so it does not wait in Matched for the stalled-job agent.
   */
  const refuseMatched = (refusal: MatchRefusal) => {
    logger.error({ job: refusal.job.jobId, reason: refusal.reason }, `match reply refused: ${refusal.detail}`);
    matchRefusals.push({ jobId: refusal.job.jobId, reason: refusal.reason });
    if (refusal.reason === 'more-than-asked' && !running.has(refusal.job.jobId))
      trackReport(refusal.job, giveBack(backend, refusal.job, refusal.detail, options.job.site, logger));
  };

  const agentReports = options.agentReports !== false;
  const startJob = (job: MatchedJob, matchSeconds: number) => {
    const log = logger.child({ job: job.jobId });
    let description;
    try {
      description = describeMatchedJob(job);
    } catch (error) {
      const minor = `Job description invalid: ${(error as Error).message}`;
      log.error(minor);
      trackReport(job, reportUnrunnable(backend, job, minor));
      return;
    }
    // As DIRAC's JobAgent once the job's parameters are accepted; never awaited (agent-reports.ts).
    if (agentReports) reportJobReceived(backend, job.jobId, matchSeconds, options.job.site, log);
    const slot = pool.acquire(description);
    if (!isSlot(slot)) {
      // The server matched it against our free resources, so this is a mismatch between its view
      // and ours: give the job back rather than run it short of what it asked for.
      log.warn({ reason: slot.reason }, 'matched job does not fit the free slot; rescheduling it');
      trackReport(job, giveBack(backend, job, slot.reason, options.job.site, log));
      return;
    }
    const entry: { promise: Promise<JobOutcome>; handle?: PayloadHandle } = { promise: Promise.resolve(null as never) };
    // Queued before the wrapper's first report, so it reaches the server before Running.
    if (agentReports) reportSubmitting(backend, job.jobId, options.job.site, log);
    entry.promise = runJob({
      job,
      description,
      slot,
      backend,
      workDir: options.job.workDir,
      site: options.job.site,
      runner: options.job.runner,
      limits: options.job.limits(job.jobId, {
        maxWallSeconds: description.maxWallTime,
        cpuWork: description.cpuTime,
        memoryMB: slot.memoryLimitMB,
      }),
      pilotEnv: options.job.pilotEnv,
      ...(options.job.siteEnv
        ? { siteEnv: typeof options.job.siteEnv === 'function' ? options.job.siteEnv(job.jobId) : options.job.siteEnv }
        : {}),
      ...(options.job.windDownDefaults ? { windDownDefaults: options.job.windDownDefaults } : {}),
      logger,
      native: options.job.native,
      shutdown,
      ...(options.job.inputStaged ? { inputStaged: true } : {}),
      ...(options.job.diracPayloads ? { diracPayloads: options.job.diracPayloads } : {}),
      ...(options.job.allowSharedPayloadToken ? { allowSharedPayloadToken: true } : {}),
      ...(options.job.privateAreaDirs ? { privateAreaDirs: options.job.privateAreaDirs } : {}),
      onStarted: (_id, handle) => (entry.handle = handle),
      ...(options.job.startMetadata ? { startMetadata: options.job.startMetadata } : {}),
      ...(options.job.cpuNormalizationFactor !== undefined ? { cpuNormalizationFactor: options.job.cpuNormalizationFactor } : {}),
    })
      .catch((error: unknown): JobOutcome => {
        // runJob reports every failure itself; reaching here means the backend refused even that.
        log.error({ err: (error as Error).message }, 'job wrapper could not report the job');
        return { ...unreportedOutcome(job.jobId, error), ...(isCredentialRefusal(error) ? { fatal: error } : {}) };
      })
      .then(async (outcome) => {
        finish(outcome); // before the slot is freed, so a stop rule it triggers wins over the next match
        await Promise.resolve(options.onJobEnd?.(outcome)).catch((error: unknown) => log.warn({ err: String(error) }, 'onJobEnd failed'));
        return outcome;
      })
      .finally(() => {
        pool.release(slot);
        running.delete(job.jobId);
        backend.forgetJob?.(job.jobId);
        nudge();
      });
    running.set(job.jobId, entry);
  };

  try {
    while (!stop) {
      const facts: StopFacts = {
        stopSignal: shutdown.aborted ? String(shutdown.reason?.message ?? 'stop signal') : null,
        drainFileFound: existsSync(rules.drainFile) ? rules.drainFile : null,
        now: Date.now(),
        deadline: rules.deadline,
        cycles,
        maxCycles: rules.maxCycles,
        jobsTaken: outcomes.length,
        fillingMode: rules.fillingMode,
        failedMatches,
        stopAfterFailedMatches: rules.stopAfterFailedMatches,
      };
      const rule = firstStopRule(facts);
      if (rule) {
        stop = rule;
        // Ending on failed requests rather than empty replies: the exit code says so.
        if (rule.reason === 'no-match') fatal = lastMatchError;
        break;
      }
      const free = pool.free();
      if (free.processors === 0) {
        await idleWait(1000, woken);
        continue;
      }
      let workLeft: number;
      let described: ReturnType<JobAgentOptions['describeFree']>;
      try {
        workLeft = await options.cpuWorkLeft(cpuConsumed);
        described = options.describeFree(free, workLeft);
      } catch (error) {
        // Whatever fails here (a batch system that cannot be read, …) stops taking work; the jobs
        // already running are still seen to their final status before it is raised.
        fatal = error;
        stop = { reason: 'error', detail: `cannot describe the slot: ${(error as Error).message}` };
        break;
      }
      const timeRule = firstStopRule({ ...facts, cpuWorkLeft: workLeft, minimumTimeLeft: rules.minimumTimeLeft });
      if (timeRule) {
        stop = timeRule;
        break;
      }
      if (rules.loadGate && rules.loadGate.factor > 0) {
        const gate = rules.loadGate;
        const waited = await waitForLoad({
          rules: gate,
          processors: gate.processors,
          readLoad: () => readLoadAverage(),
          sleep: (ms) => Promise.race([sleep(ms), onceAborted(shutdown)]).then(() => undefined),
          shutdown,
          onWait: (reason) => logger.info(`node overloaded, waiting before the next match: ${reason}`),
        });
        if (waited.reason)
          logger.warn({ waitedSeconds: Math.round(waited.waitedMs / 1000) }, `waited for the node's load to fall: ${waited.reason}`);
        if (shutdown.aborted) continue;
      }
      cycles++;
      let jobs: MatchedJob[];
      // How long the match request took: DIRAC's JobAgent reports it as MatcherServiceTime.
      const matchStarted = performance.now();
      let matchSeconds = 0;
      try {
        jobs = await backend.match(matchRequest(options, described));
        matchSeconds = (performance.now() - matchStarted) / 1000;
        lastMatchError = null;
      } catch (error) {
        // Matching is not idempotent, so the transport does not resend it: a dropped connection
        // or a cut reply reaches here. As DIRAC's JobAgent, count it as a failed match and go on,
        // so one lost reply does not abandon the jobs still running; anything else (refused
        // credentials, TLS) stops taking work, and is raised once the running jobs are reported.
        if (!isTransientServerError(error)) {
          fatal = error;
          stop = { reason: 'server-error', detail: `match failed: ${(error as Error).message}` };
          break;
        }
        lastMatchError = error;
        logger.warn({ err: (error as Error).message }, 'match request failed; counted as a failed match');
        jobs = [];
      }
      if (jobs.length === 0) {
        failedMatches++;
        logger.info({ failedMatches }, 'no job matched');
        if (failedMatches >= rules.stopAfterFailedMatches) {
          if (running.size === 0) {
            // As DIRAC, right after the reply, on this cycle's facts: the pilot ends on its failed
            // matches (and with their error), not on a lifetime that ran out while it waited.
            const rule = firstStopRule({ ...facts, failedMatches });
            if (rule) {
              stop = rule;
              if (rule.reason === 'no-match') fatal = lastMatchError;
              break;
            }
          }
          // Jobs still run: wait for one to end (or the stop signal, which nudges too), then try once
          // more before giving up (a freed slot may match).
          await woken;
          failedMatches = rules.stopAfterFailedMatches - 1;
          continue;
        }
        const delay = rules.pollingTimeSeconds * 1000 * Math.min(failedMatches, 5);
        // The stop signal nudges `woken`: no listener per wait (a pilot polls for days), no timer left behind.
        await idleWait(delay, woken);
        continue;
      }
      failedMatches = 0;
      // Checked before anything starts: a repeated id, a job already running here, or more jobs
      // than the one asked for would run two payloads in one job directory or overfill the slot.
      const checked = checkMatchReply(jobs, 1, running);
      for (const refusal of checked.refused) refuseMatched(refusal);
      for (const job of checked.accepted) startJob(job, matchSeconds);
    }
  } finally {
    shutdown.removeEventListener('abort', onAbort);
  }

  logger.info({ reason: stop.reason, running: running.size }, `job agent stopping: ${stop.detail}`);
  await waitForRunning(running, shutdown, rules.shutdownGraceMs, logger);
  stopWindDownWatch();
  heartbeats.stop();
  if (jobFatal) throw jobFatal;
  if (fatal) throw fatal;
  return { stopReason: stop.reason, detail: stop.detail, outcomes, counts, cycles, ...(matchRefusals.length > 0 ? { matchRefusals } : {}) };
}

/**
 * The match request for the free share described: the one the agent sends, and the one
 * `pilot run --dry-run` prints. One job per request, as DIRAC's JobAgent asks: the description is
 * of the whole free share, and the loop asks again at once after a match until the slot is full.
 */
export function matchRequest(
  pilot: { pilotStamp: string; vo: string },
  described: { resources: DiracResources; node: Record<string, unknown> },
): MatchRequest {
  return { pilotStamp: pilot.pilotStamp, vo: pilot.vo, maxJobs: 1, node: described.node, resources: described.resources };
}

/** Failures the server may not repeat: unreachable after retries, or a reply cut or garbled in transit. */
function isTransientServerError(error: unknown): boolean {
  return isPilotError(error) && (error.exitCode === ExitCode.SERVER_UNREACHABLE || error.exitCode === ExitCode.SERVER_PROTOCOL);
}

/** Waits `ms`, or until `woken` resolves (a job ended, or the stop signal), and clears its timer either way. */
async function idleWait(ms: number, woken: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function onceAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Waits for running jobs; after a stop signal, no longer than the grace (they are being killed). */
async function waitForRunning(
  running: Map<number, { promise: Promise<JobOutcome> }>,
  shutdown: AbortSignal,
  graceMs: number,
  logger: Logger,
): Promise<void> {
  while (running.size > 0) {
    const all = Promise.allSettled([...running.values()].map((r) => r.promise));
    if (!shutdown.aborted) {
      await Promise.race([all, onceAborted(shutdown)]);
      continue;
    }
    const timedOut = await Promise.race([all.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      logger.error({ jobs: [...running.keys()] }, 'jobs still running after the shutdown grace');
      return;
    }
  }
}

async function reportUnrunnable(backend: Backend, job: MatchedJob, minor: string): Promise<JobOutcome> {
  await backend.setJobStatus(job.jobId, { status: 'Running', minorStatus: 'Job Initialization', source: JOB_WRAPPER_SOURCE });
  await backend.setJobStatus(job.jobId, { status: 'Failed', minorStatus: minor, source: JOB_WRAPPER_SOURCE });
  return {
    jobId: job.jobId,
    status: 'Failed',
    minorStatus: minor,
    exitCode: null,
    failure: 'job',
    cpuSeconds: 0,
    wallSeconds: 0,
    jobDir: '',
  };
}

/**
 * DiracX cannot reschedule a Matched job (it tries Received, which the state machine refuses):
 * move it to Running first. A refused reschedule ends it Failed rather than Running forever.
 */
async function giveBack(backend: Backend, job: MatchedJob, reason: string, site: string, logger: Logger): Promise<JobOutcome> {
  const source = jobAgentSource(site);
  await backend.setJobStatus(job.jobId, { status: 'Running', minorStatus: `Pilot cannot run it: ${reason}`, source });
  const given = await giveBackOrFail(backend, job.jobId, source, logger);
  return {
    jobId: job.jobId,
    status: given.status,
    minorStatus: given.minorStatus,
    exitCode: null,
    failure: null,
    cpuSeconds: 0,
    wallSeconds: 0,
    jobDir: '',
  };
}

/** One heartbeat request for every running job, every `seconds`; Kill commands reach their payload. */
function startHeartbeats(
  backend: Backend,
  running: Map<number, { handle?: PayloadHandle }>,
  seconds: number,
  logger: Logger,
): { stop(): void } {
  let busy = false;
  const timer = setInterval(
    () => {
      if (busy) return; // never overlap: DiracX rejects two heartbeats for a job within one second
      const beats = new Map<number, HeartbeatData>();
      for (const [jobId, entry] of running) if (entry.handle) beats.set(jobId, entry.handle.sample());
      if (beats.size === 0) return;
      busy = true;
      backend
        .heartbeat(beats)
        .then((commands) => {
          for (const command of commands) {
            const entry = running.get(command.jobId);
            if (command.command === 'Kill' && entry?.handle) {
              logger.warn({ job: command.jobId }, 'Kill command from the server');
              entry.handle.kill('server', 'Received Kill signal');
            }
          }
        })
        .catch((error: unknown) => logger.warn({ err: (error as Error).message }, 'heartbeat failed'))
        .finally(() => (busy = false));
    },
    Math.max(1000, seconds * 1000),
  );
  timer.unref();
  // The pilot's own memory, at debug level: how a site (or the soak test) tells heap from native growth.
  const memory = setInterval(() => {
    const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1048576);
    logger.debug(
      { rssMB: mb(rss), heapUsedMB: mb(heapUsed), heapTotalMB: mb(heapTotal), externalMB: mb(external), arrayBuffersMB: mb(arrayBuffers) },
      'pilot memory',
    );
  }, 60_000);
  memory.unref();
  return {
    stop: () => {
      clearInterval(timer);
      clearInterval(memory);
    },
  };
}

/** A job whose end the backend refused to hear: counted as the node's failure, with the refusal as its minor status. */
function unreportedOutcome(jobId: number, error: unknown): JobOutcome {
  return {
    jobId,
    status: 'Failed',
    minorStatus: `Job Wrapper Exception: ${(error as Error).message}`,
    exitCode: null,
    failure: 'node',
    cpuSeconds: 0,
    wallSeconds: 0,
    jobDir: '',
  };
}
