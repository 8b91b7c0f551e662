/**
 * The legacy DIRAC v9 backend: the same Backend interface as DiracX, spoken over DIPS and HTTPS
 * with X.509 proxies. Pilot credentials match jobs and report pilot status; each matched job's
 * owner proxy (delegated by ProxyManager through a CSR) reads and writes its sandboxes.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import type {
  Backend,
  HeartbeatData,
  JobCommand,
  MatchRequest,
  MatchedJob,
  OutputSandboxArchive,
  PilotRegistration,
  PilotStatus,
  StatusUpdate,
} from '../backend/types.js';
import { FINAL_JOB_STATUSES } from '../backend/types.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { Logger } from '../core/logger.js';
import { PyFloat, type PyValue } from './codec/index.js';
import { cfgBool, type CfgSection } from './cs/cfg.js';
import { diracxSettings, type DiracxSettings } from './cs/diracx-section.js';
import { addDiracxTokenToProxy } from './diracx-block.js';
import { registryGroup, sandboxStoreUrl, userDN, vomsAttribute } from './cs/config.js';
import type { TlsCredentials } from './dips/tls.js';
import { DErrno, expectOk, isNoMatch } from './result.js';
import { ServiceCaller, type ServiceCallerOptions } from './services.js';
import { StatusClock } from './timestamps.js';
import { makeProxyRequest, writePayloadProxy } from './x509/payload-proxy.js';
import { SerialQueue } from '../backend/serial.js';
import { jobAgentSource } from '../backend/report-source.js';
import type { JobDataServices } from '../data/types.js';
import { DiracFileCatalog, DiracRequestClient, diracDataConfig } from './data.js';
import { JOB_STATE_UPDATE, forwardDisetArguments, statusBulkStub, type StatusRecords } from './forward-diset.js';
import { failoverRequest } from '../data/output-data.js';
import { parseJdl } from '../jdl/jdl-parse.js';
import { jdlString } from '../jdl/jdl-access.js';

const MatchReply = z
  .object({
    JobID: z.number().int().positive(),
    JDL: z.string().min(1),
    Owner: z.string().min(1),
    Group: z.string().min(1).optional(),
    OwnerGroup: z.string().min(1).optional(),
  })
  .passthrough();

const HeartbeatReply = z.record(z.unknown()).nullable();

export interface DiracBackendConfig {
  caller: ServiceCallerOptions;
  cfg: CfgSection;
  /** Where payload proxies are written (one 0600 file per job). */
  workDir: string;
  vo: string;
  /** The site the pilot runs as; also in the Source of the JobAgent's updates this backend makes itself. */
  site: string;
  gridCE: string;
  ceQueue: string;
  /** Lifetime asked of ProxyManager for payload proxies, seconds. */
  payloadProxyLifetime: number;
  /** Register the pilot with addPilotReferences (self-started pilots; SiteDirector pilots already are). */
  selfRegister: boolean;
  /** Trust anchors directory (X509_CERT_DIR), handed to storage clients such as xrdcp. */
  caDir?: string;
  logger: Logger;
}

interface JobContext {
  job: MatchedJob;
  caller: ServiceCaller | undefined;
  final: boolean;
}

export class DiracBackend implements Backend {
  readonly kind = 'dirac' as const;
  /** DIRAC v9 clients (Python tarfile before 3.14) cannot read zstd; DIRAC itself uploads bz2. */
  readonly outputSandboxFormat = 'tar.bz2' as const;
  readonly killedJobsEndFailed = true;
  private readonly pilotCaller: ServiceCaller;
  private readonly jobs = new Map<number, JobContext>();
  private readonly clock = new StatusClock();
  /** Status updates and heartbeats go out one at a time, in the order they were made. */
  private readonly queue = new SerialQueue();
  /** Updates made with sendWithNext, by job: their records, and who waits for their delivery. */
  private readonly held = new Map<
    number,
    { records: Record<string, Record<string, PyValue>>; waiting: { resolve(): void; reject(error: unknown): void }[] }
  >();
  /**
   * The job wrapper's status records that no JobStateUpdate URL took, by job: at the end they go to
   * ReqManager as a ForwardDISET operation, as DIRAC's JobWrapper sends them (forward-diset.ts).
   */
  private readonly undelivered = new Map<number, StatusRecords>();
  private pilotReference: string | undefined;
  /** Where this backend's own job statuses go instead of JobStateUpdate (mixed mode: DiracX). */
  private statusRoute: ((jobId: number, update: StatusUpdate) => Promise<void>) | null = null;

  constructor(private readonly config: DiracBackendConfig) {
    this.pilotCaller = new ServiceCaller(config.caller, () => config.cfg);
  }

  get cfg(): CfgSection {
    return this.config.cfg;
  }

  /**
   * Mixed mode: the statuses this backend sends on its own (the Rescheduled of a job whose payload
   * proxy could not be delegated) go where JobStateUpdate calls go, as v9's JobAgent sends them
   * through JobReport.
   */
  routeJobStatuses(route: (jobId: number, update: StatusUpdate) => Promise<void>): void {
    this.statusRoute = route;
  }

  /** What the CS says about DiracX for this pilot's VO (cs/diracx-section.ts): mixed mode reads it. */
  diracxSettings(): DiracxSettings {
    return diracxSettings(this.config.cfg, this.config.vo);
  }

  /**
   * As DIRAC's pilot (RegisterPilot → dirac-admin-add-pilot): a pilot the PilotAgentsDB does not
   * know yet (one not submitted by a SiteDirector) adds its own reference, so its status and jobs
   * are recorded; one the SiteDirector registered is left as it is. `selfRegister` forces the add.
   */
  async registerPilot(info: PilotRegistration): Promise<void> {
    this.pilotReference = info.pilotReference ?? info.pilotStamp;
    const ref = this.pilotReference;
    let known = false;
    if (!this.config.selfRegister) {
      const existing = await this.pilotCaller.call('WorkloadManagement/PilotManager', 'getPilotInfo', [ref]);
      if (existing.ok) known = true;
      else if (existing.errno !== DErrno.EWMSNOPILOT) expectOk(existing, 'PilotManager.getPilotInfo');
    }
    if (known) return;
    expectOk(
      await this.pilotCaller.call('WorkloadManagement/PilotManager', 'addPilotReferences', [
        [ref],
        info.vo,
        info.gridType,
        { [ref]: info.pilotStamp },
      ]),
      'PilotManager.addPilotReferences',
    );
    this.config.logger.info({ pilotReference: ref }, 'pilot reference added to PilotAgentsDB (self-registration)');
  }

  async setPilotStatus(status: PilotStatus, reason = '', _extra?: Record<string, unknown>): Promise<void> {
    if (!this.pilotReference) return;
    const { gridCE, site, ceQueue } = this.config;
    expectOk(
      await this.pilotCaller.call('WorkloadManagement/PilotManager', 'setPilotStatus', [
        this.pilotReference,
        status,
        gridCE,
        reason,
        site,
        ceQueue,
      ]),
      'PilotManager.setPilotStatus',
    );
  }

  /** The Matcher's resource dictionary: DIRAC checks CPUTime is an int, so it is floored here. */
  resourceDescription(request: MatchRequest): Record<string, PyValue> {
    const r = request.resources;
    const dict: Record<string, PyValue> = {
      Site: r.Site,
      GridCE: r.GridCE,
      CEQueue: r.CEQueue,
      Platform: r.Platform,
      Tag: [...r.Tag],
      RequiredTag: [...r.RequiredTag],
      NumberOfProcessors: Math.floor(r.NumberOfProcessors),
      MaxRAM: Math.floor(r.MaxRAM),
      NumberOfGPUs: Math.floor(r.NumberOfGPUs),
      CPUTime: Math.floor(r.CPUTime),
      PilotBenchmark: new PyFloat(r.PilotBenchmark),
      PilotReference: r.PilotReference || this.pilotReference || request.pilotStamp,
      ReleaseVersion: r.ReleaseVersion,
      DIRACVersion: r.ReleaseVersion,
      VirtualOrganization: r.VirtualOrganization || request.vo,
    };
    if (r.OwnerGroup) dict.OwnerGroup = r.OwnerGroup;
    return dict;
  }

  async match(request: MatchRequest): Promise<MatchedJob[]> {
    const jobs: MatchedJob[] = [];
    const description = this.resourceDescription(request);
    for (let i = 0; i < Math.max(1, request.maxJobs); i++) {
      const result = await this.pilotCaller.call('WorkloadManagement/Matcher', 'requestJob', [description]);
      if (isNoMatch(result)) break;
      if (!result.ok && result.errno === DErrno.EWMSPLTVER) {
        throw new PilotError(ExitCode.CONFIG, `Matcher refused the pilot version ${String(description.ReleaseVersion)}: ${result.message}`);
      }
      const parsed = MatchReply.safeParse(expectOk(result, 'Matcher.requestJob'));
      if (!parsed.success)
        throw new PilotError(
          ExitCode.SERVER_PROTOCOL,
          `Matcher.requestJob reply lacks JobID/JDL/Owner: ${parsed.error.issues[0]?.message}`,
        );
      const reply = parsed.data;
      const ownerGroup = reply.Group ?? reply.OwnerGroup ?? '';
      const job: MatchedJob = {
        jobId: reply.JobID,
        jdl: reply.JDL,
        owner: reply.Owner,
        ownerGroup,
        vo: registryGroup(this.cfg, ownerGroup)?.vo ?? request.vo,
        credentials: null,
      };
      const context: JobContext = { job, caller: undefined, final: false };
      this.jobs.set(job.jobId, context);
      try {
        context.caller = await this.delegateOwnerProxy(job);
      } catch (error) {
        // The job is Matched server-side: hand it back, as DIRAC's JobAgent does, rather than strand it.
        this.config.logger.warn(
          { jobId: job.jobId, err: (error as Error).message },
          'payload proxy delegation failed; rescheduling the job',
        );
        this.jobs.delete(job.jobId);
        await this.rescheduleAfterFailure(job.jobId, (error as Error).message);
        throw error;
      }
      jobs.push(job);
    }
    return jobs;
  }

  /** Fetches the owner's proxy from ProxyManager and builds a caller that uses it. */
  private async delegateOwnerProxy(job: MatchedJob): Promise<ServiceCaller> {
    const dn = userDN(this.cfg, job.owner);
    if (!dn) throw new PilotError(ExitCode.CONFIG, `job ${job.jobId}: owner ${job.owner} has no DN in the CS Registry`);
    const request = await makeProxyRequest();
    // DIRAC's JobAgent (getPayloadProxyFromDIRACGroup): VOMS only for a group with a VOMSRole or
    // a DefaultVOMSAttribute; a VO alone gets a plain proxy.
    const voms = vomsAttribute(this.cfg, job.ownerGroup);
    const method = voms ? 'getVOMSProxy' : 'getProxy';
    const args: PyValue[] = [dn, job.ownerGroup, request.csrPem, this.config.payloadProxyLifetime];
    if (voms) args.push(voms);
    const chain = expectOk(await this.pilotCaller.call('Framework/ProxyManager', method, args), `ProxyManager.${method}`);
    if (typeof chain !== 'string') throw new PilotError(ExitCode.SERVER_PROTOCOL, `ProxyManager.${method} did not return a PEM chain`);
    await mkdir(this.config.workDir, { recursive: true, mode: 0o700 });
    const path = join(this.config.workDir, `payload-proxy-${job.jobId}.pem`);
    const proxy = await writePayloadProxy(path, chain, request);
    job.payloadProxyPath = path;
    const credentials: TlsCredentials = { proxy, ca: this.config.caller.credentials.ca };
    // The owner's proxy is a user's: it never claims the pilot's host credentials (-c).
    const caller = new ServiceCaller({ ...this.config.caller, credentials, extraCredentials: '' }, () => this.cfg);
    // v9 (dumpProxyToFile → addTokenToPEM): where the CS names DiracX and the VO is not disabled,
    // the payload proxy carries its owner's DiracX token. Best effort here: the job runs without.
    const diracx = this.diracxSettings();
    if (diracx.url && !diracx.voDisabled) {
      await addDiracxTokenToProxy(caller, path).catch((error: unknown) =>
        this.config.logger.warn({ jobId: job.jobId, err: (error as Error).message }, "payload proxy without its owner's DiracX token"),
      );
    }
    return caller;
  }

  setJobStatus(jobId: number, update: StatusUpdate): Promise<void> {
    const context = this.jobs.get(jobId);
    if (update.status && FINAL_JOB_STATUSES.has(update.status) && context) context.final = true;
    const entry = statusEntry(update);
    const timestamp = this.clock.next(jobId, update.timestamp);
    if (update.sendWithNext) {
      // As DIRAC's JobReport with sendFlag=False: stamped now, sent with the job's next update.
      let held = this.held.get(jobId);
      if (!held) this.held.set(jobId, (held = { records: {}, waiting: [] }));
      held.records[timestamp] = entry;
      const waiting = held.waiting;
      return new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
    }
    return this.sendStatuses(jobId, { [timestamp]: entry });
  }

  /** One setJobStatusBulk with the job's held records first (their timestamps are earlier), in order with every other update. */
  private sendStatuses(jobId: number, records: Record<string, Record<string, PyValue>>): Promise<void> {
    const held = this.held.get(jobId);
    this.held.delete(jobId);
    const all = { ...held?.records, ...records };
    const sent = this.queue.run(async () => {
      try {
        expectOk(
          await this.pilotCaller.call('WorkloadManagement/JobStateUpdate', 'setJobStatusBulk', [jobId, all, false]),
          `JobStateUpdate.setJobStatusBulk(${jobId})`,
        );
      } catch (error) {
        // Kept before the queue moves on, so a flush that waits for the queue sees them.
        this.keepUndelivered(jobId, all);
        throw error;
      }
    });
    if (held) {
      sent.then(
        () => held.waiting.forEach((w) => w.resolve()),
        (error: unknown) => held.waiting.forEach((w) => w.reject(error)),
      );
    }
    return sent;
  }

  /**
   * Keeps what the job wrapper's JobReport would still hold after a failed call. The JobAgent's own
   * records (JobAgent@<site>) are left out: DIRAC's JobAgent forwards those in a request of its own
   * (jobAgent_<id>, with the pilot's credentials), which this backend does not make yet.
   */
  private keepUndelivered(jobId: number, records: StatusRecords): void {
    const agent = jobAgentSource(this.config.site);
    const kept = this.undelivered.get(jobId) ?? {};
    for (const [timestamp, record] of Object.entries(records)) if (record.Source !== agent) kept[timestamp] = record;
    if (Object.keys(kept).length > 0) this.undelivered.set(jobId, kept);
  }

  /**
   * JobWrapper.sendFailoverRequest's JobReport part: the undelivered records, as the rpcStub of the
   * setJobStatusBulk call that failed, go to ReqManager in a ForwardDISET operation with the job
   * owner's proxy. DIRAC adds it to the job's one failover request; this pilot has put the data
   * operations' request before the job's end, so the ForwardDISET goes in a request of its own,
   * under the same name (RequestName is not unique in the RequestDB).
   */
  private async forwardUndelivered(jobId: number): Promise<void> {
    const records = this.undelivered.get(jobId);
    this.undelivered.delete(jobId);
    if (!records) return;
    const context = this.jobs.get(jobId);
    const log = { jobId, records: Object.keys(records).length };
    if (!context?.caller) {
      this.config.logger.error(log, 'job status updates not delivered and no owner proxy to put them into a request: lost');
      return;
    }
    const { job, caller } = context;
    let protocol: 'dips' | 'https' = 'dips';
    try {
      protocol = this.pilotCaller.urls(JOB_STATE_UPDATE)[0]?.protocol === 'https' ? 'https' : 'dips';
    } catch {
      // No JobStateUpdate URL at all: the replaying agent resolves the name with its own CS.
    }
    const stub = statusBulkStub(jobId, records, {
      protocol,
      useAccessToken: cfgBool(this.cfg, '/DIRAC/Security/UseTokens', false),
      skipCACheck: cfgBool(this.cfg, '/DIRAC/Security/SkipCAChecks', false),
    });
    let delayMinutes = 45;
    try {
      delayMinutes = diracDataConfig(this.cfg, this.config.site, job.vo, this.config.caller.setup).failoverRequestDelayMinutes;
    } catch {
      // DIRAC's default FailoverRequestDelay.
    }
    let jobName: string | undefined;
    try {
      jobName = jdlString(parseJdl(job.jdl), 'JobName');
    } catch {
      // A JDL the pilot ran is parseable; without a name the request is job_<id>.
    }
    const request = failoverRequest(
      { jobId, jobName: jobName ?? '', owner: job.owner, ownerGroup: job.ownerGroup },
      [{ Type: 'ForwardDISET', Arguments: forwardDisetArguments(stub), Files: [] }],
      { failoverRequestDelayMinutes: delayMinutes },
    );
    const requests = new DiracRequestClient(caller);
    for (let attempt = 1; ; attempt++) {
      try {
        await requests.putRequest(request);
        this.config.logger.warn(
          { ...log, request: request.RequestName },
          'job status updates not delivered: put to ReqManager as ForwardDISET',
        );
        return;
      } catch (error) {
        // Past the reporting time after a stop signal every call fails at once: no wait, no retry.
        const deadline = this.config.caller.signal;
        if (attempt >= 3 || deadline?.aborted) {
          this.config.logger.error(
            { ...log, err: (error as Error).message },
            'job status updates not delivered, nor their ForwardDISET request: lost',
          );
          return;
        }
        await delay(1000 * attempt ** 2, undefined, deadline ? { signal: deadline } : {}).catch(() => undefined);
      }
    }
  }

  async heartbeat(beats: ReadonlyMap<number, HeartbeatData>): Promise<JobCommand[]> {
    const commands: JobCommand[] = [];
    for (const [jobId, beat] of beats) {
      // setHeartBeatData forces Status=Running on the server: never beat a finished job, nor one
      // already handed back (rescheduled), which would be Running again under nobody.
      const context = this.jobs.get(jobId);
      if (!context || context.final) continue;
      const { StandardOutput, ...dynamic } = beat;
      const numbers: Record<string, PyValue> = {};
      for (const [key, value] of Object.entries(dynamic)) if (typeof value === 'number') numbers[key] = new PyFloat(value);
      const result = await this.pilotCaller.call('WorkloadManagement/JobStateUpdate', 'sendHeartBeat', [
        jobId,
        numbers,
        StandardOutput === undefined ? {} : { StandardOutput },
      ]);
      const reply = HeartbeatReply.safeParse(expectOk(result, `JobStateUpdate.sendHeartBeat(${jobId})`));
      if (!reply.success) throw new PilotError(ExitCode.SERVER_PROTOCOL, `sendHeartBeat(${jobId}) reply is not a dict`);
      for (const [command, argument] of Object.entries(reply.data ?? {})) {
        commands.push({ jobId, command, arguments: argument === '' || argument === null ? null : String(argument) });
      }
    }
    return commands;
  }

  setJobMetadata(jobId: number, metadata: Record<string, string | number>): Promise<void> {
    const pairs = Object.entries(metadata).map(([key, value]) => [key, value]);
    return this.queue.run(async () => {
      expectOk(
        await this.pilotCaller.call('WorkloadManagement/JobStateUpdate', 'setJobParameters', [jobId, pairs]),
        `JobStateUpdate.setJobParameters(${jobId})`,
      );
    });
  }

  async reschedule(jobIds: number[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.queue.idle();
    expectOk(await this.pilotCaller.call('WorkloadManagement/JobManager', 'rescheduleJob', [jobIds]), 'JobManager.rescheduleJob');
    for (const id of jobIds) this.jobs.delete(id);
  }

  private async rescheduleAfterFailure(jobId: number, reason: string): Promise<void> {
    // As DIRAC's JobAgent (_rescheduleFailedJob): Rescheduled with the cause as application status, then
    // JobManager; from the job's JobAgent report, so with its source JobAgent@<site>.
    try {
      const update: StatusUpdate = {
        status: 'Rescheduled',
        applicationStatus: `Payload proxy unavailable: ${reason}`,
        source: jobAgentSource(this.config.site),
      };
      if (this.statusRoute) {
        await this.statusRoute(jobId, update);
      } else {
        const timestamp = this.clock.next(jobId);
        const entry = statusEntry(update);
        expectOk(
          await this.pilotCaller.call('WorkloadManagement/JobStateUpdate', 'setJobStatusBulk', [jobId, { [timestamp]: entry }, false]),
          `JobStateUpdate.setJobStatusBulk(${jobId})`,
        );
      }
    } catch (error) {
      this.config.logger.error({ jobId, err: (error as Error).message }, 'the Rescheduled status was not recorded');
    }
    try {
      expectOk(await this.pilotCaller.call('WorkloadManagement/JobManager', 'rescheduleJob', [[jobId]]), 'JobManager.rescheduleJob');
    } catch (error) {
      this.config.logger.error({ jobId, err: (error as Error).message }, 'could not reschedule the job');
    }
  }

  private jobCaller(job: MatchedJob): ServiceCaller {
    const caller = this.jobs.get(job.jobId)?.caller;
    if (!caller) throw new PilotError(ExitCode.INTERNAL, `job ${job.jobId}: no payload proxy (not matched by this backend)`);
    return caller;
  }

  /** The DIRAC File Catalog and ReqManager with the owner's proxy, as DIRAC's JobWrapper uses them. */
  dataServices(job: MatchedJob): JobDataServices | null {
    const caller = this.jobs.get(job.jobId)?.caller;
    if (!caller) return null;
    return {
      catalog: new DiracFileCatalog(caller),
      requests: new DiracRequestClient(caller),
      config: diracDataConfig(this.cfg, this.config.site, job.vo, this.config.caller.setup),
      credentials: {
        ...(job.payloadProxyPath ? { proxyPath: job.payloadProxyPath } : {}),
        ...(this.config.caDir ? { caDir: this.config.caDir } : {}),
        ca: [...this.config.caller.credentials.ca],
      },
    };
  }

  async downloadSandbox(job: MatchedJob, pfn: string, destFile: string): Promise<void> {
    const match = /^SB:([^|]+)\|(.+)$/.exec(pfn);
    if (!match) {
      throw new PilotError(
        ExitCode.COMMAND_FAILED,
        `job ${job.jobId}: input sandbox ${pfn} is not SB:<SE>|<path> (LFN: sandboxes need DIRAC data management, not supported)`,
      );
    }
    const [, se, path] = match as unknown as [string, string, string];
    const caller = this.jobCaller(job);
    let url: URL;
    try {
      url = sandboxStoreUrl(this.cfg, se);
    } catch (error) {
      throw new PilotError(ExitCode.CONFIG, (error as Error).message);
    }
    if (url.protocol === 'dips:') {
      await caller.dips.receiveFile(caller.viaGateway(url), path, '', destFile);
      return;
    }
    const result = await caller.https.download(url, 'streamToClient', [path, ''], destFile);
    expectOk(result, `SandboxStore.streamToClient(${path})`);
  }

  async uploadOutputSandbox(job: MatchedJob, archive: OutputSandboxArchive): Promise<string> {
    const caller = this.jobCaller(job);
    const md5 = await fileMd5(archive.path);
    const fileId: PyValue = [`${md5}.${archive.format}`, { [`Job:${job.jobId}`]: 'Output' }];
    const urls = caller.urls('WorkloadManagement/SandboxStore');
    let last: unknown;
    for (const { protocol, url } of urls) {
      try {
        const result =
          protocol === 'dips'
            ? await caller.dips.sendFile(url, fileId, '', archive.path)
            : await caller.https.call(url, 'streamFromClient', [fileId, '', archive.size, new Uint8Array(await readAll(archive.path))]);
        const pfn = expectOk(result, `SandboxStore upload for job ${job.jobId}`);
        if (typeof pfn !== 'string' || !pfn.startsWith('SB:'))
          throw new PilotError(ExitCode.SERVER_PROTOCOL, `SandboxStore upload returned ${String(pfn)}, not an SB: PFN`);
        return pfn;
      } catch (error) {
        last = error;
        if (!(error instanceof PilotError) || error.exitCode !== ExitCode.SERVER_UNREACHABLE) throw error;
      }
    }
    throw last;
  }

  async flush(): Promise<void> {
    // Held updates whose next update never came still go out, and before the queue is waited for.
    for (const jobId of [...this.held.keys()]) this.sendStatuses(jobId, {}).catch(() => undefined);
    await this.queue.idle();
    for (const jobId of [...this.undelivered.keys()]) await this.forwardUndelivered(jobId);
  }

  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    for (const context of this.jobs.values()) {
      await context.caller?.close();
      if (context.job.payloadProxyPath) await rm(context.job.payloadProxyPath, { force: true });
    }
    this.jobs.clear();
    await this.pilotCaller.close();
  }
}

/** JobDB and JobLoggingDB columns: MinorStatus VARCHAR(128), ApplicationStatus VARCHAR(255). */
export const MINOR_STATUS_MAX = 128;
export const APPLICATION_STATUS_MAX = 255;

/**
 * One setJobStatusBulk record. Longer values are cut to the columns' sizes: a MySQL server in
 * strict mode refuses the whole record ("Data too long for column 'MinorStatus'") and the status
 * would be lost.
 */
export function statusEntry(update: StatusUpdate): Record<string, PyValue> {
  const entry: Record<string, PyValue> = { Source: update.source };
  if (update.status) entry.Status = update.status;
  if (update.minorStatus !== undefined) entry.MinorStatus = cut(update.minorStatus, MINOR_STATUS_MAX);
  if (update.applicationStatus !== undefined) entry.ApplicationStatus = cut(update.applicationStatus, APPLICATION_STATUS_MAX);
  return entry;
}

/** Cut by characters (code points), as the column counts them; no ellipsis, which a latin1 table refuses. */
function cut(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max).join('');
}

async function fileMd5(path: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function readAll(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of createReadStream(path)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
