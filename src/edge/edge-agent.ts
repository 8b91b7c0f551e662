import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Backend, DiracResources, HeartbeatData, MatchedJob } from '../backend/types.js';
import type { Logger } from '../core/logger.js';
import { firstStopRule } from '../agent/stop-rules.js';
import { extractSandbox, sha256FromPfn } from '../payload/sandbox/index.js';
import { describeMatchedJob } from '../payload/job-description.js';
import { checkMatchReply, type MatchRefusal } from '../payload/match-check.js';
import { reportJobReceived, reportSubmitting } from '../agent/agent-reports.js';
import type { BatchSubmitter } from './slurm.js';
import { StagedLayout, mtimeMs, readJsonFile, stagedFiles, stagedJobSchema, writeFileAtomic, type StagedLimits } from './layout.js';
import { giveBack, initialEdgeState, loadEdgeState, relayEvents, saveEdgeState, writeKillFile, type TrackedJob } from './relay.js';

export interface EdgeAllocationShape {
  /** Cores, memory and GPUs one job gets; an allocation of k grouped jobs gets k times these. */
  cpusPerJob: number;
  memoryMBPerJob: number;
  gpusPerJob: number;
  timeLimitMinutes: number;
  partition?: string;
}

export interface EdgeAgentOptions {
  backend: Backend;
  batch: BatchSubmitter;
  layout: StagedLayout;
  /** Edge-node private directory (never shared): the job owners' tokens for their sandboxes. */
  privateDir: string;
  allocation: EdgeAllocationShape;
  groupSize: number;
  maxAllocations: number;
  staleSeconds: number;
  pollSeconds: number;
  stopAfterFailedMatches: number;
  deadline: number | null;
  drainFile: string;
  /** The watchdog limits of a job with these JDL limits and the allocation's per-job memory (into job.json). */
  jobLimits(request: { maxWallSeconds: number | null; cpuWork: number | null; memoryMB: number | null }): StagedLimits;
  /** The site's payload environment (src/pilot/dirac-options.ts, siteEnvironment), staged with each job. */
  siteEnv?: Readonly<Record<string, string>>;
  /** argv that starts the compute-side pilot, up to and including `exec` and its common options. */
  computeArgv: string[];
  /** Resource description and node document of one compute allocation's job share. */
  describeAllocation(): { resources: DiracResources; node: Record<string, unknown> };
  pilotStamp: string;
  vo: string;
  site: string;
  logger: Logger;
  shutdown: AbortSignal;
}

export interface EdgeReport {
  stopReason: 'no-match' | 'signal' | 'lifetime' | 'drain';
  submitted: number;
  finished: number;
  givenBack: number;
  resumed: number;
}

const credentialsSchema = z.object({ accessToken: z.string(), expiresIn: z.number(), refreshToken: z.string().nullable() }).nullable();

/** A shell word: single-quoted, with embedded quotes closed and reopened. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The batch script of one allocation: start the compute-side pilot on its staged jobs. */
export function allocationScript(computeArgv: readonly string[], stagedDirs: readonly string[], cpus: number): string {
  const argv = [...computeArgv, '-P', String(cpus), ...stagedDirs.flatMap((d) => ['--staged', d])];
  return `#!/bin/sh\n# DIRAC edge pilot allocation: ${stagedDirs.length} staged job(s)\nexec ${argv.map(shellQuote).join(' ')}\n`;
}

/**
 * The edge pilot: match jobs for compute-node allocations, stage their input sandboxes in the
 * shared directory, submit allocations with sbatch, relay what the compute side writes, give back
 * jobs whose allocation died, and survive its own restart: all of its state is in files.
 */
export async function runEdgeAgent(options: EdgeAgentOptions): Promise<EdgeReport> {
  const { backend, batch, layout, logger } = options;
  await mkdir(layout.jobsDir(), { recursive: true, mode: 0o700 });
  await mkdir(options.privateDir, { recursive: true, mode: 0o700 });
  const tracked = new Map<number, TrackedJob>();
  const report: EdgeReport = { stopReason: 'no-match', submitted: 0, finished: 0, givenBack: 0, resumed: 0 };
  await resume();
  let failedMatches = 0;
  let matching = true;
  /** Seconds each accepted job's match request took (MatcherServiceTime), until it is reported. */
  const matchSecondsOf = new Map<number, number>();

  while (true) {
    if (options.shutdown.aborted) {
      // Compute-side jobs keep running; a restarted edge pilot picks them up from the shared directory.
      report.stopReason = 'signal';
      break;
    }
    await relayAll();
    await checkAllocations();
    await submitPendingGroups();
    if (matching) {
      const stop = stopMatchingReason();
      if (stop) {
        matching = false;
        report.stopReason = stop;
        logger.info({ reason: stop }, 'edge pilot stops matching');
      }
    }
    if (matching && inFlightAllocations() < options.maxAllocations) {
      const group = await matchGroup();
      if (group.length === 0) failedMatches++;
      else {
        failedMatches = 0;
        await stageAndSubmit(group);
        continue;
      }
    }
    if (!matching && tracked.size === 0) break;
    await pollWait(options.pollSeconds * 1000, options.shutdown);
  }
  return report;

  /** DIRAC's stop rules (src/agent/stop-rules.ts); compute-side jobs are not counted: they run elsewhere. */
  function stopMatchingReason(): EdgeReport['stopReason'] | null {
    const rule = firstStopRule({
      stopSignal: null, // a stop signal ends the loop above, before matching is considered
      drainFileFound: existsSync(options.drainFile) ? options.drainFile : null,
      now: Date.now(),
      deadline: options.deadline,
      cycles: 0,
      maxCycles: Number.POSITIVE_INFINITY,
      jobsTaken: 0,
      fillingMode: true,
      failedMatches,
      stopAfterFailedMatches: options.stopAfterFailedMatches,
    });
    if (rule === null) return null;
    if (rule.reason === 'drain' || rule.reason === 'lifetime' || rule.reason === 'no-match') return rule.reason;
    throw new Error(`edge pilot: unexpected stop rule ${rule.reason}`);
  }

  function inFlightAllocations(): number {
    return new Set([...tracked.values()].map((t) => t.state.group)).size;
  }

  async function resume(): Promise<void> {
    for (const entry of await readdir(layout.jobsDir())) {
      const dir = path.join(layout.jobsDir(), entry);
      const staged = await readJsonFile(stagedFiles(dir).job, stagedJobSchema).catch(() => null);
      const state = await loadEdgeState(dir).catch(() => null);
      if (!staged || !state || state.done) continue;
      const credentials = await readCredentials(staged.jobId);
      const job: MatchedJob = {
        jobId: staged.jobId,
        jdl: staged.jdl,
        owner: staged.owner,
        ownerGroup: staged.ownerGroup,
        vo: staged.vo,
        credentials,
      };
      tracked.set(job.jobId, { job, dir, state, heartbeatRelayedMs: 0, finished: false });
      report.resumed++;
    }
    if (report.resumed > 0) logger.info({ jobs: [...tracked.keys()] }, `resumed ${report.resumed} job(s) from ${layout.root}`);
  }

  async function readCredentials(jobId: number): Promise<MatchedJob['credentials']> {
    try {
      return credentialsSchema.parse(JSON.parse(await readFile(path.join(options.privateDir, `${jobId}.json`), 'utf8')));
    } catch {
      return null;
    }
  }

  async function matchGroup(): Promise<MatchedJob[]> {
    const group: MatchedJob[] = [];
    while (group.length < options.groupSize) {
      const { resources, node } = options.describeAllocation();
      const matchStarted = performance.now();
      const jobs = await backend.match({ pilotStamp: options.pilotStamp, vo: options.vo, maxJobs: 1, node, resources });
      const matchSeconds = (performance.now() - matchStarted) / 1000;
      if (jobs.length === 0) break;
      // As the job agent: a repeated id, a job this edge pilot already tracks or has in this
      // group, or more than the one asked for never gets a second job directory (match-check.ts).
      const checked = checkMatchReply(jobs, 1, { has: (id) => tracked.has(id) || group.some((j) => j.jobId === id) });
      for (const refusal of checked.refused) await refuseMatched(refusal);
      for (const job of checked.accepted) matchSecondsOf.set(job.jobId, matchSeconds);
      group.push(...checked.accepted);
      if (checked.accepted.length === 0) break;
    }
    return group;
  }

  /** A job of a match reply that is not run: left alone when it is a repeat, given back when it was not asked for. */
  async function refuseMatched(refusal: MatchRefusal): Promise<void> {
    logger.error({ job: refusal.job.jobId, reason: refusal.reason }, `match reply refused: ${refusal.detail}`);
    if (refusal.reason !== 'more-than-asked') return;
    const id = refusal.job.jobId;
    try {
      await backend.setJobStatus(id, { status: 'Running', minorStatus: `Pilot cannot run it: ${refusal.detail}`, source: 'EdgePilot' });
      await backend.reschedule([id]);
    } catch (error) {
      logger.warn({ job: id, err: (error as Error).message }, 'could not give back a job the pilot did not ask for');
    }
  }

  /** Records each job in the shared directory before anything slow, then stages and submits. */
  async function stageAndSubmit(jobs: MatchedJob[]): Promise<void> {
    const group = `${options.pilotStamp}-${jobs[0]!.jobId}`;
    const members: TrackedJob[] = [];
    for (const job of jobs) {
      const dir = layout.jobDir(job.jobId);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await writeFile(path.join(options.privateDir, `${job.jobId}.json`), JSON.stringify(job.credentials), { mode: 0o600 });
      await writeFileAtomic(stagedFiles(dir).job, JSON.stringify(stagedJobRecord(job)));
      const t: TrackedJob = { job, dir, state: { ...initialEdgeState(), group }, heartbeatRelayedMs: 0, finished: false };
      await saveEdgeState(t);
      tracked.set(job.jobId, t);
      members.push(t);
      // DIRAC's JobAgent (PushJobAgent) reports, here where the job was matched; the compute side
      // makes none (src/commands/run-staged.ts). Never awaited: src/agent/agent-reports.ts. Source
      // JobAgent@<site>, as the pilot's own job agent's (docs/edge-mode.md).
      reportJobReceived(backend, job.jobId, matchSecondsOf.get(job.jobId) ?? null, options.site, logger);
      matchSecondsOf.delete(job.jobId);
    }
    const ready: TrackedJob[] = [];
    for (const t of members) {
      try {
        await stageInput(t);
        ready.push(t);
      } catch (error) {
        await giveBack(t, backend, `Input Sandbox staging failed: ${(error as Error).message}`, logger);
        finish(t);
      }
    }
    if (ready.length > 0) await submit(group, ready);
  }

  /** job.json: the job, its share of the allocation and its watchdog limits (no credentials). */
  function stagedJobRecord(job: MatchedJob): z.input<typeof stagedJobSchema> {
    const shape = options.allocation;
    const share = { processors: shape.cpusPerJob, memoryMB: shape.memoryMBPerJob, gpus: shape.gpusPerJob };
    let request = { maxWallSeconds: null as number | null, cpuWork: null as number | null, memoryMB: share.memoryMB };
    try {
      const description = describeMatchedJob(job);
      request = { ...request, maxWallSeconds: description.maxWallTime, cpuWork: description.cpuTime };
    } catch {
      // An invalid description is failed by the compute side, which names what is wrong with it.
    }
    const { jobId, jdl, owner, ownerGroup, vo } = job;
    const limits = options.jobLimits(request);
    const siteEnv = { ...options.siteEnv };
    return { jobId, jdl, owner, ownerGroup, vo, site: options.site, stagedAt: new Date().toISOString(), share, limits, siteEnv };
  }

  async function stageInput(t: TrackedJob): Promise<void> {
    const jobDir = path.join(layout.workDir(), 'jobs', String(t.job.jobId));
    await rm(jobDir, { recursive: true, force: true });
    await mkdir(jobDir, { recursive: true, mode: 0o700 });
    const description = describeMatchedJob(t.job);
    for (const [i, pfn] of description.inputSandbox.filter((e) => e.startsWith('SB:')).entries()) {
      const archive = path.join(options.privateDir, `${t.job.jobId}.input-${i}`);
      try {
        await backend.downloadSandbox(t.job, pfn, archive);
        const expectedSha256 = sha256FromPfn(pfn);
        await extractSandbox(archive, jobDir, { logger, ...(expectedSha256 ? { expectedSha256 } : {}) });
      } finally {
        await rm(archive, { force: true });
      }
    }
  }

  async function submit(group: string, members: TrackedJob[]): Promise<void> {
    const shape = options.allocation;
    const groupDir = layout.groupDir(group);
    await mkdir(groupDir, { recursive: true, mode: 0o700 });
    const script = path.join(groupDir, 'allocation.sh');
    const cpus = shape.cpusPerJob * members.length;
    await writeFile(
      script,
      allocationScript(
        options.computeArgv,
        members.map((m) => m.dir),
        cpus,
      ),
      { mode: 0o700 },
    );
    for (const m of members) reportSubmitting(backend, m.job.jobId, options.site, logger);
    try {
      const batchJobId = await batch.submit({
        name: `dirac-edge-${group}`,
        script,
        workDir: groupDir,
        outputFile: path.join(groupDir, 'allocation-%j.out'),
        cpus,
        memoryMB: shape.memoryMBPerJob * members.length,
        gpus: shape.gpusPerJob * members.length,
        timeLimitMinutes: shape.timeLimitMinutes,
        ...(shape.partition ? { partition: shape.partition } : {}),
      });
      for (const m of members) {
        m.state.batchJobId = batchJobId;
        m.state.submittedAt = new Date().toISOString();
        await saveEdgeState(m);
      }
      report.submitted += members.length;
      logger.info({ batchJobId, jobs: members.map((m) => m.job.jobId), cpus }, `submitted allocation ${batchJobId}`);
    } catch (error) {
      for (const m of members) {
        await giveBack(m, backend, `Edge pilot: batch submission failed: ${(error as Error).message}`, logger);
        finish(m);
      }
    }
  }

  /** Jobs recorded before a restart but never submitted (the edge died in between): submit them now. */
  async function submitPendingGroups(): Promise<void> {
    const pending = new Map<string, TrackedJob[]>();
    for (const t of tracked.values()) {
      if (
        t.state.batchJobId === null &&
        !t.state.done &&
        t.state.group &&
        t.state.eventsRelayed === 0 &&
        !existsSync(stagedFiles(t.dir).claimed)
      ) {
        pending.set(t.state.group, [...(pending.get(t.state.group) ?? []), t]);
      }
    }
    for (const [group, members] of pending) {
      // A resumed group may already have input staged; staging again is idempotent.
      for (const m of members)
        await stageInput(m).catch((error: unknown) => logger.warn({ job: m.job.jobId, err: String(error) }, 'restaging failed'));
      await submit(group, members);
    }
  }

  async function relayAll(): Promise<void> {
    const beats = new Map<number, HeartbeatData>();
    for (const t of tracked.values()) {
      if (options.shutdown.aborted) return;
      try {
        await relayEvents(t, backend, logger, options.shutdown);
      } catch (error) {
        logger.warn({ job: t.job.jobId, err: (error as Error).message }, 'relay failed; will retry');
        continue;
      }
      if (t.finished) {
        t.state.done = true;
        await saveEdgeState(t);
        finish(t);
        continue;
      }
      const mtime = await mtimeMs(stagedFiles(t.dir).heartbeat);
      if (mtime !== null && mtime > t.heartbeatRelayedMs) {
        const beat = await readJsonFile(stagedFiles(t.dir).heartbeat, z.record(z.unknown())).catch(() => null);
        if (beat) {
          const { at: _at, ...fields } = beat;
          beats.set(t.job.jobId, fields);
          t.heartbeatRelayedMs = mtime;
        }
      }
    }
    if (beats.size === 0) return;
    try {
      const commands = await backend.heartbeat(beats);
      for (const command of commands) {
        const t = tracked.get(command.jobId);
        if (command.command === 'Kill' && t) {
          logger.warn({ job: command.jobId }, 'Kill from the server: writing the kill file for the compute node');
          await writeKillFile(t);
        }
      }
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'heartbeat relay failed');
    }
  }

  /** Allocations that ended, or whose jobs went silent, without a final status: give their jobs back. */
  async function checkAllocations(): Promise<void> {
    const submitted = [...tracked.values()].filter((t) => t.state.batchJobId !== null && !t.finished);
    if (submitted.length === 0) return;
    let states;
    try {
      states = await batch.states([...new Set(submitted.map((t) => t.state.batchJobId!))]);
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'cannot read batch job states; will retry');
      return;
    }
    for (const t of submitted) {
      const state = states.get(t.state.batchJobId!);
      if (state === 'gone') {
        // The compute side may have written its last lines just before the allocation ended.
        await relayEvents(t, backend, logger).catch(() => undefined);
        if (t.finished) continue;
        // A job claimed by some allocation and still showing signs of life runs elsewhere (an edge
        // pilot restarted between sbatch and saving its id submits twice; the claim file keeps
        // the job single): leave it to the staleness check.
        const lastSign = Math.max((await mtimeMs(stagedFiles(t.dir).heartbeat)) ?? 0, (await mtimeMs(stagedFiles(t.dir).claimed)) ?? 0);
        if (lastSign > 0 && Date.now() - lastSign < options.staleSeconds * 1000 && (await mtimeMs(stagedFiles(t.dir).events)) !== null)
          continue;
        await giveBack(t, backend, `Edge pilot: allocation ${t.state.batchJobId} ended without a final status`, logger);
        finish(t);
      } else if (state === 'running' && t.state.eventsRelayed > 0) {
        const beat = (await mtimeMs(stagedFiles(t.dir).heartbeat)) ?? (await mtimeMs(stagedFiles(t.dir).events));
        if (beat !== null && Date.now() - beat > options.staleSeconds * 1000) {
          await batch.cancel(t.state.batchJobId!);
          await giveBack(t, backend, `Edge pilot: no heartbeat for ${options.staleSeconds} s`, logger);
          finish(t);
        }
      }
    }
  }

  function finish(t: TrackedJob): void {
    tracked.delete(t.job.jobId);
    if (t.state.rescheduled) report.givenBack++;
    else report.finished++;
    void rm(path.join(options.privateDir, `${t.job.jobId}.json`), { force: true });
  }
}

/** Waits `ms` or until the stop signal; leaves neither a timer nor a listener behind (an edge pilot polls for days). */
function pollWait(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
