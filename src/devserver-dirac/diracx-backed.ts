/**
 * The legacy dev server's services in mixed mode (DIRAC v9 with DiracX enabled for the VO): the
 * job records are the DiracX dev server's (src/devserver/shared-jobdb.ts), as a v9 installation's
 * DIRAC services and DiracX share one JobDB, and sandboxes live in DiracX's store, as DIRAC's
 * SandboxStore keeps them with `UseDiracXBackend` (v9 SandboxStoreHandler `_getFromClient`,
 * `_sendToClient`). What a real v9 service would accept is accepted here too: DIRAC's own
 * JobStateUpdate service still writes the shared JobDB, it does not refuse a DiracX-enabled VO.
 * ProxyManager also answers `exchangeProxyForToken` (the DiracX token of the caller's identity).
 */
import { createHash } from 'node:crypto';
import type { PyValue } from '../dirac/codec/index.js';
import type { SharedJobDb } from '../devserver/shared-jobdb.js';
import type { StatusUpdateInput } from '../devserver/jobs.js';
import type { JobStatus } from '../backend/types.js';
import { JOB_STATUSES } from '../backend/types.js';
import { jdlInt, jdlList, parseJdl } from '../jdl/jdl.js';
import { sERROR, sOK, type CallContext, type ServiceHandlers } from './dips-server.js';
import type { ServiceSetup } from './services.js';

export interface MixedSetup extends ServiceSetup {
  db: SharedJobDb;
  /** DN → DIRAC group of the caller's proxy (the dev server's users each have one group). */
  groupOf: (dn: string) => string;
}

const asRecord = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** DIRAC's "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC, no zone) as a Date. */
function diracTime(text: string): Date | null {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d{1,6})?$/.exec(text);
  return match ? new Date(`${match[1]}T${match[2]}${(match[3] ?? '').slice(0, 4)}Z`) : null;
}

function isStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

export function mixedMatcher(setup: MixedSetup): ServiceHandlers {
  return {
    rpc: {
      requestJob: (args) => {
        const resources = asRecord(args[0]);
        for (const key of ['Site', 'CPUTime', 'Platform']) {
          if (!(key in resources)) return sERROR(`Missing key in resource description: ${key}`);
        }
        if (typeof resources.CPUTime !== 'number' || !Number.isInteger(resources.CPUTime)) {
          return sERROR('Value type of CPUTime is not int');
        }
        const version = String(resources.ReleaseVersion ?? resources.DIRACVersion ?? '');
        if (!setup.releaseVersions.includes(version)) {
          const production = setup.releaseVersions.join(',');
          return sERROR(`Version check: pilot version ${version} does not match the production versions ${production} ( 1511 : )`, 1511);
        }
        const tags = new Set(Array.isArray(resources.Tag) ? resources.Tag.map(String) : []);
        const cpuTime = resources.CPUTime;
        const job = setup.db.jobs().find((j) => {
          if (j.status !== 'Waiting' || j.vo !== setup.db.vo) return false;
          const doc = parseJdl(j.jdl);
          return (jdlInt(doc, 'CPUTime') ?? 0) <= cpuTime && jdlList(doc, 'Tags').every((t) => tags.has(t));
        });
        if (!job) return sERROR('No match found ( 1510 : )', 1510);
        setup.db.applyStatus(job.id, [{ timestamp: new Date(), Status: 'Matched', MinorStatus: 'Assigned', Source: 'Matcher' }]);
        const reference = typeof resources.PilotReference === 'string' ? resources.PilotReference : undefined;
        if (reference) {
          const pilot = setup.state.pilot(reference);
          pilot.status = 'Running';
          pilot.jobs.push(job.id);
        }
        const reported = reference !== undefined;
        return sOK({ JDL: job.jdl, JobID: job.id, Owner: job.owner, Group: job.ownerGroup, PilotInfoReportedFlag: reported });
      },
    },
  };
}

/** DIRAC's JobStateUpdate service of a v9 installation: it writes the JobDB DiracX shares. */
export function mixedJobStateUpdate(setup: MixedSetup): ServiceHandlers {
  return {
    rpc: {
      setJobStatusBulk: (args) => {
        const id = Number(args[0]);
        if (!setup.db.job(id)) return sERROR(`Job ${String(args[0])} not found`);
        const updates: StatusUpdateInput[] = [];
        for (const [timestamp, value] of Object.entries(asRecord(args[1]))) {
          const when = diracTime(timestamp);
          if (!when) return sERROR(`Bad timestamp ${timestamp}`);
          const u = asRecord(value);
          updates.push({
            timestamp: when,
            ...(isStatus(u.Status) ? { Status: u.Status } : {}),
            ...(typeof u.MinorStatus === 'string' ? { MinorStatus: u.MinorStatus } : {}),
            ...(typeof u.ApplicationStatus === 'string' ? { ApplicationStatus: u.ApplicationStatus } : {}),
            Source: typeof u.Source === 'string' ? u.Source : 'Unknown',
          });
        }
        setup.db.applyStatus(id, updates);
        return sOK();
      },
      setJobParameters: (args) => {
        const job = setup.db.job(Number(args[0]));
        if (!job) return sERROR(`Job ${String(args[0])} not found`);
        for (const pair of Array.isArray(args[1]) ? args[1] : []) {
          if (Array.isArray(pair) && pair.length === 2) job.parameters[String(pair[0])] = pair[1];
        }
        return sOK();
      },
      sendHeartBeat: (args) => {
        const id = Number(args[0]);
        const job = setup.db.job(id);
        if (!job) return sERROR(`Job ${String(args[0])} not found`);
        job.heartbeats.push({ time: new Date().toISOString(), data: { ...asRecord(args[1]), ...asRecord(args[2]) } });
        // DIRAC's setHeartBeatData forces Running, whatever the state machine says.
        job.status = 'Running';
        return sOK(Object.fromEntries(setup.db.takeCommands(id).map((c) => [c.command, c.arguments])));
      },
    },
  };
}

export function mixedJobManager(setup: MixedSetup): ServiceHandlers {
  return {
    rpc: {
      rescheduleJob: (args) => {
        const ids = Array.isArray(args[0]) ? args[0] : [args[0]];
        for (const id of ids) setup.db.reschedule(Number(id));
        return sOK(ids as PyValue[]);
      },
    },
  };
}

function namespaceOf(setup: MixedSetup, ctx: CallContext): string {
  return `${setup.db.vo}/${setup.groupOf(ctx.identityDN)}/${setup.userNames.get(ctx.identityDN) ?? 'unknown'}`;
}

/**
 * SandboxStore with `UseDiracXBackend = True`: an upload (named `<md5>.tar.<ext>` as DIRAC's client
 * names it) goes to DiracX's store and is assigned there; a `/S3/…` download comes from DiracX's
 * store; any other path is the legacy store's.
 */
export function mixedSandboxStore(
  setup: MixedSetup,
): ServiceHandlers & { raw: Record<string, (args: unknown[]) => Promise<Buffer | PyValue>> } {
  const store = (fileId: unknown, data: Buffer, ctx: CallContext): PyValue => {
    const [name, assignTo] = Array.isArray(fileId) ? fileId : [fileId, {}];
    if (typeof name !== 'string') return sERROR('Sandbox file id must be [name, assignTo]');
    // The size limit comes first, before anything is forwarded to DiracX (SandboxStoreHandler._getFromClient).
    if (setup.maxSandboxBytes > 0 && data.length > setup.maxSandboxBytes) {
      return sERROR('Sandbox is too big. Please upload it to a grid storage element');
    }
    const md5 = createHash('md5').update(data).digest('hex');
    if (!name.startsWith(`${md5}.tar`)) return sERROR(`Sandbox name ${name} does not match its MD5 ${md5}`);
    const pfn = setup.db.putSandbox(namespaceOf(setup, ctx), data, name.slice(md5.length + 1));
    for (const [entity, kind] of Object.entries(asRecord(assignTo))) {
      const match = /^Job:(\d+)$/.exec(entity);
      if (match && kind === 'Output') setup.db.assignOutputSandbox(Number(match[1]), pfn);
    }
    return sOK(pfn);
  };
  const fetch = (path: unknown): Buffer | undefined => {
    if (typeof path !== 'string') return undefined;
    return path.startsWith('/S3/') ? setup.db.getSandbox(path) : setup.state.sandboxes.get(path);
  };
  return {
    rpc: {
      streamFromClient: (args, ctx) => {
        const data = args[3];
        if (!(data instanceof Uint8Array)) return sERROR('streamFromClient needs the data as bytes');
        return store(args[0], Buffer.from(data), ctx);
      },
    },
    raw: { streamToClient: async (args) => fetch(args[0]) ?? sERROR(`Sandbox ${String(args[0])} does not exist`) },
    toClient: async (fileId) => fetch(fileId) ?? { error: `Sandbox ${String(fileId)} does not exist` },
    fromClient: async (fileId, _token, data, ctx) => store(fileId, data, ctx),
  };
}

/**
 * ProxyManager.exchangeProxyForToken: the DiracX token of whoever calls (v9 `addTokenToPEM` asks it
 * with the proxy it is about to write, so a payload proxy carries its owner's token).
 */
export function exchangeProxyForToken(setup: MixedSetup): (args: unknown[], ctx: CallContext) => PyValue {
  return (_args, ctx) => {
    const user = setup.userNames.get(ctx.identityDN);
    if (!user) return sERROR(`Unknown identity ${ctx.identityDN}`);
    const group = setup.groupOf(ctx.identityDN);
    const pair = user === 'pilot' ? setup.db.pilotTokens() : setup.db.userTokens(user, group);
    return sOK({ access_token: pair.access_token, refresh_token: pair.refresh_token, expires_in: pair.expires_in, token_type: 'Bearer' });
  };
}
