/**
 * The DiracX dev server's job store, seen from the legacy DIRAC dev server in mixed mode
 * (docs/devserver.md, "Mixed mode"). A DIRAC v9 installation with DiracX enabled shares its MySQL
 * databases with DiracX: the Matcher sets a job Matched in the same JobDB that DiracX's
 * `PATCH /api/jobs/status` then updates, and the SandboxStore service, with `UseDiracXBackend`,
 * keeps sandboxes in DiracX's S3 store. This is that sharing, in memory: the legacy services act on
 * the same records the DiracX routes serve.
 */
import { createHash } from 'node:crypto';
import type { TokenPair } from './auth.js';
import { userIdentity, pilotIdentity } from './auth.js';
import type { ServerCore } from './core.js';
import { applyStatusUpdates, takeCommands, type StatusUpdateInput, type StoredJob } from './jobs.js';
import { splitPfn } from './routes/sandboxes.js';
import { sandboxPfn } from './submission.js';

export interface SharedJobDb {
  readonly vo: string;
  /** The records themselves (same process): the legacy services read and change them. */
  jobs(): StoredJob[];
  job(id: number): StoredJob | undefined;
  /** Updates through DIRAC's state machine, as JobStatusUtility does for both servers. */
  applyStatus(id: number, updates: StatusUpdateInput[]): void;
  /** The job's pending commands (a Kill), handed out once. */
  takeCommands(id: number): { command: string; arguments: string }[];
  /** JobManager.rescheduleJob on the shared JobDB: counted, then back to Waiting. */
  reschedule(id: number): void;
  /**
   * What DIRAC's SandboxStore does with `UseDiracXBackend`: the bytes go to DiracX's store under
   * the caller's namespace (`vo/group/user`), keyed by sha256; returns the `SB:SandboxSE|/S3/…` PFN.
   */
  putSandbox(namespace: string, data: Buffer, format: string): string;
  /** The bytes behind a `/S3/…` path (with or without its `SB:<SE>|` prefix), or undefined. */
  getSandbox(pfnOrPath: string): Buffer | undefined;
  assignOutputSandbox(id: number, pfn: string): void;
  /** A DiracX token pair for a job owner: what ProxyManager's exchangeProxyForToken hands out. */
  userTokens(owner: string, group: string): TokenPair;
  /** The pilot's DiracX token pair, as a v9 SiteDirector puts it in the pilot proxy's DIRACX block. */
  pilotTokens(): TokenPair;
}

export function sharedJobDb(core: ServerCore): SharedJobDb {
  const { state } = core;
  const job = (id: number): StoredJob | undefined => state.jobs.get(id);
  return {
    vo: state.vo,
    jobs: () => [...state.jobs.values()],
    job,
    applyStatus(id, updates) {
      const stored = job(id);
      if (!stored) throw new Error(`Job ${id} not found`);
      applyStatusUpdates(stored, updates);
    },
    takeCommands(id) {
      const stored = job(id);
      return stored ? takeCommands(stored).map((c) => ({ command: c.command, arguments: c.arguments })) : [];
    },
    reschedule(id) {
      const stored = job(id);
      if (!stored) return;
      stored.rescheduleCounter += 1;
      applyStatusUpdates(stored, [{ timestamp: new Date(), Status: 'Waiting', MinorStatus: 'Rescheduled', Source: 'JobManager' }], true);
    },
    putSandbox(namespace, data, format) {
      const sha256 = createHash('sha256').update(data).digest('hex');
      const key = `${namespace}/sha256:${sha256}.${format}`;
      if (!state.objects.has(key)) state.objects.set(key, { data, sha256, size: data.length, namespace });
      return sandboxPfn(state, key);
    },
    getSandbox(pfnOrPath) {
      const parts = splitPfn(pfnOrPath.includes('|') ? pfnOrPath : `SB:SandboxSE|${pfnOrPath}`);
      return parts && parts.bucket === state.bucket ? state.objects.get(parts.key)?.data : undefined;
    },
    assignOutputSandbox(id, pfn) {
      const stored = job(id);
      if (stored) stored.outputSandboxPfn = pfn;
    },
    userTokens: (owner, group) => core.tokens.issue(userIdentity(state.vo, owner, group)),
    pilotTokens: () => core.tokens.issue(pilotIdentity(state.vo)),
  };
}
