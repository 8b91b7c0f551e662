import type {
  Backend,
  HeartbeatData,
  JobCommand,
  MatchedJob,
  MatchRequest,
  OutputSandboxArchive,
  PilotRegistration,
  PilotStatus,
  StatusUpdate,
} from '../backend/types.js';
import { FINAL_JOB_STATUSES } from '../backend/types.js';
import type { Logger } from '../core/logger.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { refreshGrant } from './credentials/refresh-grant.js';
import { TokenManager } from './credentials/token-manager.js';
import type { DiracxConnection } from './http/connection.js';
import { HeartbeatPacer } from './jobs/heartbeat-pacer.js';
import { StatusClock } from './jobs/status-timestamps.js';
import { StatusQueue } from './jobs/status-queue.js';
import type { SpooledStatus, StatusSpool } from './jobs/status-spool.js';
import { createPilotLogShipper, type PilotLogShipper, type PilotLogShipperOptions } from './logs/pilot-log-shipper.js';
import { requestMatch } from './match.js';
import { PilotsClient } from './pilots.js';
import { SandboxClient } from './sandboxes.js';
import { z } from 'zod';
import { HEARTBEAT_NUMERIC_KEYS, HeartbeatReplySchema, RescheduleReplySchema, SetJobStatusReturnSchema } from './schemas.js';
import { DiracxHttpError } from './http/reply.js';
import { RescheduleRefused } from '../backend/types.js';
import { toJobMetaData } from './jobs/job-metadata.js';

/** The reasons under `failed` of a reschedule reply (or its 400 detail), one line; null when none failed. */
function refusalReason(body: unknown): string | null {
  const record = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const failed = record.detail && typeof record.detail === 'object' ? (record.detail as Record<string, unknown>).failed : record.failed;
  if (!failed || typeof failed !== 'object' || Object.keys(failed).length === 0) return null;
  return Object.entries(failed as Record<string, unknown>)
    .map(
      ([id, why]) =>
        `job ${id}: ${why && typeof why === 'object' && typeof (why as { detail?: unknown }).detail === 'string' ? (why as { detail: string }).detail : JSON.stringify(why)}`,
    )
    .join('; ');
}

export interface DiracxBackendParts {
  connection: DiracxConnection;
  pilotTokens: TokenManager;
  clientId: string;
  matchPath: string;
  spool: StatusSpool | null;
  logger: Logger;
  pilotStamp: string | null;
  /** How long flush() and close() keep trying before spooling. */
  flushBudgetMs: number;
  deadline: () => number;
  heartbeatMinIntervalMs?: number;
  now: () => number;
  /** The pilot's tokens came from its own secret exchange: revoke the refresh token at close (PR #248). */
  revokeAtClose?: boolean;
}

const STATUS_CALL_BUDGET_MS = 60_000;

/** The DiracX implementation of the job agent's Backend. */
export class DiracxBackend implements Backend {
  readonly kind = 'diracx' as const;
  private readonly connection: DiracxConnection;
  private readonly statusQueue: StatusQueue;
  private readonly clock = new StatusClock();
  private readonly pacer: HeartbeatPacer;
  private readonly pilots: PilotsClient;
  private readonly sandboxes: SandboxClient;
  private readonly ownerTokens = new Map<number, TokenManager>();
  private pilotStamp: string | null;
  private readonly shippers = new Set<PilotLogShipper>();
  private readonly killListeners = new Set<(jobId: number) => void>();
  private closed = false;

  constructor(private readonly parts: DiracxBackendParts) {
    this.connection = parts.connection;
    this.pilotStamp = parts.pilotStamp;
    this.pacer = new HeartbeatPacer(parts.heartbeatMinIntervalMs, parts.now);
    this.pilots = new PilotsClient(parts.connection, parts.pilotTokens, parts.logger);
    this.sandboxes = new SandboxClient(parts.connection, (job) => this.ownerTokenSource(job));
    this.statusQueue = new StatusQueue({
      send: (batch, deadline) => this.sendStatuses(batch, deadline),
      spool: parts.spool,
      logger: parts.logger,
      now: parts.now,
    });
  }

  /** Queue updates a previous pilot spooled and try to deliver them before anything else. */
  async deliverSpooled(): Promise<void> {
    if (!this.parts.spool) return;
    const entries = this.parts.spool.read();
    if (entries.length === 0) return;
    for (const entry of entries) this.clock.observe(entry.jobId, entry.timestamp);
    this.statusQueue.adopt(entries);
    this.parts.logger.info(`delivering ${entries.length} status update(s) spooled by a previous pilot`);
    await this.flush();
  }

  onServerKill(listener: (jobId: number) => void): void {
    this.killListeners.add(listener);
  }

  /** The failure to end with when the server never gave one good reply; null once it did. */
  neverAnswered(): PilotError | null {
    const { answered, lastFailure } = this.connection.contact;
    return answered ? null : lastFailure;
  }

  /** Status updates not yet acknowledged by the server. */
  get pendingStatusUpdates(): number {
    return this.statusQueue.size;
  }

  async registerPilot(info: PilotRegistration): Promise<void> {
    this.pilotStamp = info.pilotStamp;
    await this.pilots.register(info);
  }

  async setPilotStatus(status: PilotStatus, reason?: string, extra?: Record<string, unknown>): Promise<void> {
    if (!this.pilotStamp) {
      this.parts.logger.warn(`pilot status ${status} not sent: no pilot stamp known (register the pilot first)`);
      return;
    }
    await this.pilots.setMetadata(this.pilotStamp, status, reason, extra);
  }

  async match(request: MatchRequest): Promise<MatchedJob[]> {
    const jobs = await requestMatch(this.connection, this.parts.pilotTokens, this.parts.matchPath, request);
    for (const job of jobs) {
      // The owner's token lifetime counts from now, not from the job's first sandbox call (which
      // may come hours later, at the upload): its manager then refreshes it ahead of expiry.
      if (job.credentials) this.ownerTokenSource(job);
      this.linkJob(job.jobId);
    }
    return jobs;
  }

  /**
   * What DiracX accepts of the pilot–job link: the pilot record's CurrentJobID (PATCH
   * /api/pilots/metadata). In DIRAC the matcher sets it; DiracX's provisional match does not.
   */
  private linkJob(jobId: number): void {
    if (!this.pilotStamp) return;
    this.pilots
      .setMetadata(this.pilotStamp, null, undefined, { CurrentJobID: jobId })
      .catch((error: unknown) => this.parts.logger.warn({ job: jobId, err: (error as Error).message }, 'pilot CurrentJobID not set'));
  }

  setJobStatus(jobId: number, update: StatusUpdate): Promise<void> {
    this.assertOpen();
    const wire: SpooledStatus['update'] = { Source: update.source };
    if (update.status !== undefined) wire.Status = update.status;
    if (update.minorStatus !== undefined) wire.MinorStatus = update.minorStatus;
    if (update.applicationStatus !== undefined) wire.ApplicationStatus = update.applicationStatus;
    const timestamp = this.clock.stamp(jobId, update.timestamp ?? new Date(this.parts.now()));
    if (update.status && FINAL_JOB_STATUSES.has(update.status)) {
      this.pacer.forget(jobId);
    }
    return this.statusQueue.enqueue({ jobId, timestamp, update: wire });
  }

  private async sendStatuses(batch: readonly SpooledStatus[], flushDeadline: () => number | undefined): Promise<Record<string, string>> {
    const body: Record<string, Record<string, SpooledStatus['update']>> = {};
    for (const { jobId, timestamp, update } of batch) (body[String(jobId)] ??= {})[timestamp] = update;
    const reply = await this.connection.call({
      endpoint: 'PATCH /api/jobs/status',
      request: { method: 'PATCH', target: '/api/jobs/status', json: body },
      schema: SetJobStatusReturnSchema,
      // Keyed by timestamp: resending the same batch sets the same states.
      idempotent: true,
      auth: this.parts.pilotTokens,
      whenStopping: 'report',
      retry: {
        deadline: () => Math.min(this.parts.deadline(), flushDeadline() ?? Infinity),
        // Outside flush() a caller waits at most a minute; after that the updates wait in the queue.
        ...(flushDeadline() === undefined ? { callBudgetMs: Math.min(this.connection.retry.callBudgetMs, STATUS_CALL_BUDGET_MS) } : {}),
      },
    });
    const failed: Record<string, string> = {};
    for (const [jobId, reasons] of Object.entries(reply.failed)) failed[jobId] = Object.values(reasons).join('; ') || 'no detail';
    // The server says Killed where the pilot said something else: the job was killed there.
    for (const [jobId, change] of Object.entries(reply.success)) {
      const sentKilled = batch.some((entry) => String(entry.jobId) === jobId && entry.update.Status === 'Killed');
      if (change.Status === 'Killed' && !sentKilled) for (const listener of this.killListeners) listener(Number(jobId));
    }
    return failed;
  }

  async heartbeat(beats: ReadonlyMap<number, HeartbeatData>): Promise<JobCommand[]> {
    if (beats.size === 0) return [];
    const body: Record<string, Record<string, number | string>> = {};
    for (const [jobId, data] of beats) {
      const entry: Record<string, number | string> = {};
      for (const key of HEARTBEAT_NUMERIC_KEYS) {
        const value = data[key];
        if (typeof value === 'number' && Number.isFinite(value)) entry[key] = value;
      }
      if (typeof data.StandardOutput === 'string') entry.StandardOutput = data.StandardOutput;
      body[String(jobId)] = entry;
    }
    const commands = await this.pacer.run([...beats.keys()], (beforeAttempt) =>
      this.connection.call({
        endpoint: 'PATCH /api/jobs/heartbeat',
        request: { method: 'PATCH', target: '/api/jobs/heartbeat', json: body },
        schema: HeartbeatReplySchema,
        // A repeated heartbeat within the second is a 500 on DiracX: retry only what never arrived.
        idempotent: false,
        auth: this.parts.pilotTokens,
        beforeAttempt,
        retry: { callBudgetMs: 60_000 },
      }),
    );
    return commands.map((command) => ({ jobId: command.job_id, command: command.command, arguments: command.arguments ?? null }));
  }

  async setJobMetadata(jobId: number, metadata: Record<string, string | number>): Promise<void> {
    await this.connection.call({
      endpoint: 'PATCH /api/jobs/metadata',
      request: { method: 'PATCH', target: '/api/jobs/metadata', json: { [String(jobId)]: toJobMetaData(metadata) } },
      idempotent: true,
      auth: this.parts.pilotTokens,
      whenStopping: 'report',
    });
  }

  async reschedule(jobIds: number[]): Promise<void> {
    if (jobIds.length === 0) return;
    let reply: Record<string, unknown>;
    try {
      reply = await this.connection.call({
        endpoint: 'POST /api/jobs/reschedule',
        request: { method: 'POST', target: '/api/jobs/reschedule', json: { job_ids: jobIds } },
        schema: RescheduleReplySchema,
        // Each call counts a reschedule against the job's limit: never resend after an ambiguous failure.
        idempotent: false,
        auth: this.parts.pilotTokens,
        whenStopping: 'report',
      });
    } catch (error) {
      // Past MaxRescheduling DiracX answers 400 {"detail": {"failed": {id: {detail}}, "success": {}}}.
      if (error instanceof DiracxHttpError && error.status === 400) {
        throw new RescheduleRefused(jobIds, refusalReason(error.body) ?? error.detail);
      }
      throw error;
    }
    const reason = refusalReason(reply);
    if (reason !== null) throw new RescheduleRefused(jobIds, reason);
  }

  downloadSandbox(job: MatchedJob, pfn: string, destFile: string): Promise<void> {
    return this.sandboxes.download(job, pfn, destFile);
  }

  uploadOutputSandbox(job: MatchedJob, archive: OutputSandboxArchive): Promise<string> {
    return this.sandboxes.uploadOutput(job, archive);
  }

  private ownerTokenSource(job: MatchedJob): TokenManager {
    const existing = this.ownerTokens.get(job.jobId);
    if (existing) return existing;
    if (!job.credentials) {
      throw new PilotError(
        ExitCode.CREDENTIALS,
        `job ${job.jobId}: the match reply carried no owner credentials, and the pilot's token cannot move sandboxes`,
      );
    }
    const manager = new TokenManager(
      {
        accessToken: job.credentials.accessToken,
        refreshToken: job.credentials.refreshToken,
        expiresAt: this.parts.now() + job.credentials.expiresIn * 1000,
      },
      {
        label: `job ${job.jobId} owner`,
        refresher: refreshGrant(this.connection, this.parts.clientId, this.parts.now),
        logger: this.parts.logger,
        now: this.parts.now,
      },
    );
    this.ownerTokens.set(job.jobId, manager);
    return manager;
  }

  /** Drop what is kept per job (the job agent calls this when it is done with the job). */
  forgetJob(jobId: number): void {
    this.ownerTokens.delete(jobId);
    // Its final updates are stamped already (stamps are taken when an update is queued).
    this.clock.forget(jobId);
    this.pacer.forget(jobId);
  }

  /**
   * PROPOSAL (diracx PR #550): a pino destination shipping the pilot's log to
   * `POST /api/pilots/internal/message` in the background.
   */
  createPilotLogShipper(options: Omit<PilotLogShipperOptions, 'send'> = {}): PilotLogShipper {
    const shipper = createPilotLogShipper({
      ...options,
      send: async (lines) => {
        await this.connection.call({
          endpoint: 'POST /api/pilots/internal/message',
          request: { method: 'POST', target: '/api/pilots/internal/message', json: { lines } },
          idempotent: true,
          auth: this.parts.pilotTokens,
          // In the background: a short budget, the shipper keeps the lines and tries again later.
          retry: { callBudgetMs: 15_000 },
        });
      },
      // DiracX has no such route yet (diracx-api.md §7): a 404 will not go away by resending.
      isPermanent: (error) => error instanceof DiracxHttpError && error.status === 404,
      onGiveUp: (error) => this.parts.logger.warn(`pilot log shipping stopped: ${(error as Error).message}; the log stays in pilot.log`),
    });
    this.shippers.add(shipper);
    shipper.once('close', () => this.shippers.delete(shipper));
    return shipper;
  }

  /** The VO the pilot's token names (its `vo` claim), for a pilot started without --wnVO; null if none. */
  /**
   * The pilot's credentials are usable now: a due refresh is made (and a refused one throws, exit
   * 21). Mixed mode calls it before the first match, so no job is taken that could not be reported.
   */
  async checkCredentials(): Promise<void> {
    await this.parts.pilotTokens.accessToken();
  }

  tokenVo(): string | null {
    const payload = this.parts.pilotTokens.current().accessToken.split('.')[1];
    if (!payload) return null;
    try {
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { vo?: unknown };
      return typeof claims.vo === 'string' && claims.vo.length > 0 ? claims.vo : null;
    } catch {
      return null;
    }
  }

  /** Ship what the log shippers still hold, within the flush budget (they need the connection). */
  private async endShippers(): Promise<void> {
    const ended = [...this.shippers].map(
      (shipper) => new Promise<void>((resolve) => (shipper.writableEnded ? resolve() : shipper.end(() => resolve()))),
    );
    let timer: NodeJS.Timeout | undefined;
    const budgetMs = Math.max(0, Math.min(this.parts.flushBudgetMs, this.parts.deadline() - this.parts.now()));
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, budgetMs);
    });
    await Promise.race([Promise.all(ended), budget]);
    clearTimeout(timer);
  }

  /** The server's clock, from the Date header of a cheap unauthenticated call; null when unknown. */
  async serverTime(): Promise<Date | null> {
    try {
      const reply = await this.connection.http.send({ method: 'GET', target: '/.well-known/openid-configuration' });
      const date = reply.headers.date;
      const parsed = new Date(Array.isArray(date) ? (date[0] ?? '') : (date ?? ''));
      return Number.isNaN(parsed.getTime()) ? null : parsed;
    } catch {
      return null;
    }
  }

  /** Spool undelivered status updates synchronously (the pilot's forced exit); how many. */
  spoolNow(): number {
    return this.statusQueue.spoolNow();
  }

  async flush(): Promise<void> {
    const deadline = Math.min(this.parts.deadline(), this.parts.now() + this.parts.flushBudgetMs);
    await this.statusQueue.flush(deadline);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await Promise.all([this.flush(), this.endShippers()]);
      if (this.parts.revokeAtClose) await this.revokePilotToken();
    } finally {
      this.closed = true;
      await this.connection.http.close();
    }
  }

  /**
   * DiracX's RFC 7009 revocation (`POST /api/auth/revoke`, form token/token_type_hint/client_id) of
   * the refresh token the pilot got by its secret exchange: nothing outlives the pilot that could be
   * used in its name. Failing to revoke is logged, never fatal (the token still expires).
   */
  private async revokePilotToken(): Promise<void> {
    const token = this.parts.pilotTokens.current().refreshToken;
    if (!token) return;
    try {
      await this.connection.call({
        endpoint: 'POST /api/auth/revoke',
        request: {
          method: 'POST',
          target: '/api/auth/revoke',
          form: { token, token_type_hint: 'refresh_token', client_id: this.parts.clientId },
        },
        schema: z.unknown(),
        idempotent: true,
        auth: null,
      });
      this.parts.logger.info('pilot token revoked');
    } catch (error) {
      this.parts.logger.warn({ err: (error as Error).message }, 'could not revoke the pilot token');
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new PilotError(ExitCode.INTERNAL, 'DiracX backend used after close()');
  }
}
