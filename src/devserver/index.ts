import { randomBytes } from 'node:crypto';
import { chmod, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pilotIdentity, TokenAuthority, userIdentity, type AuthSettings, type TokenPair } from './auth.js';
import type { DevServerFeatures, ResolvedOptions, ServerCore } from './core.js';
import { createDispatcher } from './dispatch.js';
import { FaultInjector, type FaultProfile } from './faults.js';
import { applyStatusUpdates, type StoredJob } from './jobs.js';
import { createJwtSigner } from './jwt.js';
import { Presigner } from './presign.js';
import { authRoutes, hashSecret } from './routes/auth.js';
import { devRoutes } from './routes/dev.js';
import { jobStatusRoutes } from './routes/jobs-status.js';
import { matchRoute } from './routes/match.js';
import { pilotRoutes } from './routes/pilots.js';
import { sandboxRoutes, splitPfn } from './routes/sandboxes.js';
import { submitJdlRoute } from './routes/submission.js';
import { createState, type PilotLogLine, type PilotRecord, type RecordedRequest, type Violation } from './state.js';
import { createJob, DEFAULT_OWNER, type JobSubmission } from './submission.js';
import { SpecValidator } from './validation.js';
import { sharedJobDb, type SharedJobDb } from './shared-jobdb.js';

export type { FaultProfile } from './faults.js';
export type { JobSubmission } from './submission.js';
export type { DevServerFeatures } from './core.js';
export type { SharedJobDb } from './shared-jobdb.js';

export interface DevServerOptions {
  /** Default "demo". */
  vo?: string;
  /** Jobs enqueued at start (e.g. `demoJobs()` from demo-jobs.ts). */
  jobs?: JobSubmission[];
  /** DiracX's default is 20 min; default here 1200. */
  accessTokenTtlSeconds?: number;
  /** DiracX's default is 60 min; default here 3600. */
  refreshTokenTtlSeconds?: number;
  faults?: FaultProfile;
  features?: Partial<DevServerFeatures>;
  /** Path of the provisional match endpoint; default `/api/jobs/match`. */
  matchPath?: string;
  /** Largest sandbox accepted by POST /api/jobs/sandbox; DiracX's is 100 MiB. */
  sandboxMaxBytes?: number;
  /** PEM strings; serve HTTPS when given. */
  tls?: { cert: string; key: string };
  /** Default 0 (any free port). Always bound to 127.0.0.1. */
  port?: number;
}

/** The file format of DiracX's client credentials (and of the pilot's `--credentials` file). */
export interface CredentialsFile {
  access_token: string;
  refresh_token: string;
  /** Epoch seconds at which the access token expires. */
  expires_on: number;
}

export interface JobSnapshot {
  id: number;
  jdl: string;
  owner: string;
  ownerGroup: string;
  vo: string;
  status: StoredJob['status'];
  minorStatus: string;
  applicationStatus: string;
  history: StoredJob['history'];
  heartbeats: StoredJob['heartbeats'];
  parameters: Record<string, unknown>;
  attributes: Record<string, unknown>;
  inputSandbox: string[];
  outputSandbox: string | null;
  rescheduleCounter: number;
  startExecTime: string | null;
  endExecTime: string | null;
  heartBeatTime: string | null;
  pilotStamp: string | null;
}

export interface DevServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** A GenericPilot token pair, as the pilot's credentials file holds it. */
  issuePilotCredentials(): CredentialsFile;
  /** Writes `issuePilotCredentials()` to `file` with mode 0600. */
  writePilotCredentials(file: string): Promise<CredentialsFile>;
  /** A NormalUser token pair for `owner` (default the demo user): submitting, sandboxes. */
  issueUserCredentials(owner?: string): TokenPair;
  submitJob(submission: JobSubmission): number;
  job(id: number): JobSnapshot | undefined;
  jobs(): JobSnapshot[];
  /** The bytes of the job's assigned output sandbox; null when none was assigned. */
  outputSandbox(id: number): Buffer | null;
  /** Sets Killed as an administrator would; a job a pilot holds gets a one-shot Kill command. */
  killJob(id: number): void;
  /** Revokes every token issued so far, access and refresh. */
  revokeAll(): void;
  /** Proposal: a single-use pilot secret for `stamp`, for POST /api/auth/secret-exchange. */
  addPilotSecret(stamp: string): string;
  /** A VO-wide secret for pilots no SiteDirector registered (DIRAC pilot PR #248's vacuum case). */
  addVacuumSecret(): string;
  /** Refresh tokens revoked with POST /api/auth/revoke. */
  readonly revocations: readonly { subject: string; pilotStamp: string | null; clientId: string | null }[];
  readonly requests: readonly RecordedRequest[];
  readonly violations: readonly Violation[];
  readonly pilots: readonly PilotRecord[];
  readonly pilotLogs: readonly PilotLogLine[];
  readonly faultLog: readonly { path: string; fault: string }[];
  setFaults(profile: FaultProfile): void;
  /** Drops the listener and every connection, then listens again on the same port; state is kept. */
  restart(): Promise<void>;
  /** The job store as the legacy dev server shares it in mixed mode (src/devserver/shared-jobdb.ts). */
  sharedJobDb(): SharedJobDb;
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function snapshot(job: StoredJob): JobSnapshot {
  return structuredClone({
    id: job.id,
    jdl: job.jdl,
    owner: job.owner,
    ownerGroup: job.ownerGroup,
    vo: job.vo,
    status: job.status,
    minorStatus: job.minorStatus,
    applicationStatus: job.applicationStatus,
    history: job.history,
    heartbeats: job.heartbeats,
    parameters: job.parameters,
    attributes: job.attributes,
    inputSandbox: job.inputSandbox,
    outputSandbox: job.outputSandboxPfn,
    rescheduleCounter: job.rescheduleCounter,
    startExecTime: job.startExecTime,
    endExecTime: job.endExecTime,
    heartBeatTime: job.heartBeatTime,
    pilotStamp: job.pilotStamp,
  });
}

/** A DiracX-compatible server on loopback, for tests and the demo (docs/devserver.md). */
export async function startDevServer(options: DevServerOptions = {}): Promise<DevServer> {
  const vo = options.vo ?? 'demo';
  const resolved: ResolvedOptions = {
    vo,
    matchPath: options.matchPath ?? '/api/jobs/match',
    sandboxMaxBytes: options.sandboxMaxBytes ?? 100 * 1024 * 1024,
    features: { pilotLogs: options.features?.pilotLogs ?? false, secretExchange: options.features?.secretExchange ?? false },
    presignTtlSeconds: 300,
    maxRescheduling: 3,
  };
  const auth: AuthSettings = {
    issuer: '',
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 1200,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 3600,
  };
  const signer = createJwtSigner();
  const state = createState(vo);
  const core: ServerCore = { state, tokens: new TokenAuthority(signer, auth), signer, presigner: new Presigner(), options: resolved, auth };
  const routes = [
    ...authRoutes(core),
    ...jobStatusRoutes(core),
    ...sandboxRoutes(core),
    ...pilotRoutes(core),
    submitJdlRoute(core),
    matchRoute(core),
    ...devRoutes(core),
  ];
  const faults = new FaultInjector(options.faults);
  const scheme = options.tls ? 'https' : 'http';
  const dispatcher = createDispatcher(core, routes, new SpecValidator(), faults, scheme);
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, dispatcher)
    : createHttpServer(dispatcher);
  // Keep-alive sockets would otherwise hold close() open until the client lets go.
  server.keepAliveTimeout = 5000;
  const port = await listen(server, options.port ?? 0);
  const url = `${scheme}://127.0.0.1:${port}`;
  auth.issuer = url;
  for (const submission of options.jobs ?? []) createJob(state, submission);

  const credentialsFor = (pair: TokenPair): CredentialsFile => ({
    access_token: pair.access_token,
    refresh_token: pair.refresh_token,
    expires_on: Math.floor(Date.now() / 1000) + pair.expires_in,
  });

  return {
    url,
    port,
    close: () => stop(server),
    issuePilotCredentials: () => credentialsFor(core.tokens.issue(pilotIdentity(vo))),
    async writePilotCredentials(file) {
      const credentials = credentialsFor(core.tokens.issue(pilotIdentity(vo)));
      await writeFile(file, `${JSON.stringify(credentials)}\n`, { mode: 0o600 });
      await chmod(file, 0o600);
      return credentials;
    },
    issueUserCredentials: (owner = DEFAULT_OWNER) => core.tokens.issue(userIdentity(vo, owner)),
    submitJob: (submission) => createJob(state, submission).id,
    job(id) {
      const job = state.jobs.get(id);
      return job ? snapshot(job) : undefined;
    },
    jobs: () => [...state.jobs.values()].map(snapshot),
    outputSandbox(id) {
      const pfn = state.jobs.get(id)?.outputSandboxPfn;
      const parts = pfn ? splitPfn(pfn) : null;
      return parts ? (state.objects.get(parts.key)?.data ?? null) : null;
    },
    killJob(id) {
      const job = state.jobs.get(id);
      if (!job) throw new Error(`dev server: no job ${id}`);
      applyStatusUpdates(job, [
        {
          timestamp: new Date(),
          Status: 'Killed',
          MinorStatus: 'Marked as killed',
          ApplicationStatus: 'Job was killed by user',
          Source: 'JobManager',
        },
      ]);
    },
    revokeAll: () => core.tokens.revokeAll(),
    addPilotSecret(stamp) {
      const secret = randomBytes(24).toString('base64url');
      state.pilotSecrets.set(hashSecret(secret), { stamp, used: false });
      return secret;
    },
    addVacuumSecret() {
      const secret = randomBytes(24).toString('base64url');
      state.pilotSecrets.set(hashSecret(secret), { stamp: null, used: false });
      return secret;
    },
    get revocations() {
      return state.revocations;
    },
    get requests() {
      return state.requests;
    },
    get violations() {
      return state.violations;
    },
    get pilots() {
      return [...state.pilots.values()];
    },
    get pilotLogs() {
      return state.pilotLogs;
    },
    get faultLog() {
      return faults.log;
    },
    setFaults: (profile) => faults.set(profile),
    sharedJobDb: () => sharedJobDb(core),
    async restart() {
      await stop(server);
      await listen(server, port);
    },
  };
}
