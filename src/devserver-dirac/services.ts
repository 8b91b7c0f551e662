/**
 * The WMS calls a pilot makes, served from DevState: Matcher, JobStateUpdate, JobManager,
 * SandboxStore, PilotManager, ProxyManager and Configuration, with DIRAC's argument shapes and
 * replies (sandbox names checked against their MD5, CPUTime required to be an int, version check
 * error 1511, no match 1510).
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import type { PyValue } from '../dirac/codec/index.js';
import { renderJdl } from '../jdl/jdl.js';
import { sERROR, sOK, type ServiceHandlers } from './dips-server.js';
import { signProxyRequest, type Issued } from './pki.js';
import { FINAL, type DevState } from './state.js';

export interface ServiceSetup {
  state: DevState;
  releaseVersions: string[];
  sandboxSE: string;
  /** SandboxStore's MaxSandboxSizeMiB in bytes (0: no limit). */
  maxSandboxBytes: number;
  cfgText: () => string;
  /** DN → issued user credentials the ProxyManager can delegate from. */
  users: Map<string, Issued>;
  userNames: Map<string, string>;
  /** The VOMS attribute ProxyManager can add for a group (its VOMSRole or the DefaultVOMSAttribute), if any. */
  vomsAttributeOf?: (group: string) => string | undefined;
}

/** JobDB and JobLoggingDB column sizes: a longer value makes MySQL refuse the record. */
const STATUS_COLUMNS: Record<string, number> = { Status: 32, MinorStatus: 128, ApplicationStatus: 255 };

/**
 * JobLoggingDB.StatusSource is VARCHAR(32) too, but addLoggingRecord cuts the source to it
 * (`source[:32]`, Python's code points) before the INSERT: a longer Source, such as DIRAC's
 * `JobAgent@<site>` for a long site name, is kept cut, never refused.
 */
const SOURCE_COLUMN = 32;
const loggedSource = (source: unknown): string => (typeof source === 'string' ? [...source].slice(0, SOURCE_COLUMN).join('') : 'Unknown');

const asRecord = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const asList = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' && v ? [v] : []);

export function matcher(setup: ServiceSetup): ServiceHandlers {
  return {
    rpc: {
      requestJob: (args) => {
        const resources = asRecord(args[0]);
        for (const key of ['Site', 'CPUTime', 'Platform']) {
          if (!(key in resources)) return sERROR(`Missing key in resource description: ${key}`);
        }
        if (typeof resources.CPUTime !== 'number' || !Number.isInteger(resources.CPUTime))
          return sERROR('Value type of CPUTime is not int');
        const version = String(resources.ReleaseVersion ?? resources.DIRACVersion ?? '');
        if (!setup.releaseVersions.includes(version)) {
          return sERROR(
            `Version check: pilot version ${version} does not match the production versions ${setup.releaseVersions.join(',')} ( 1511 : )`,
            1511,
          );
        }
        const tags = new Set(asList(resources.Tag));
        const job = [...setup.state.jobs.values()].find(
          (j) =>
            j.status === 'Waiting' &&
            Number(j.fields.CPUTime ?? 0) <= (resources.CPUTime as number) &&
            asList(j.fields.Tags).every((t) => tags.has(t)),
        );
        if (!job) return sERROR('No match found ( 1510 : )', 1510);
        job.status = 'Matched';
        job.minorStatus = 'Assigned';
        // DIRAC's Matcher logs the match itself (JobLoggingDB.addLoggingRecord, UTC now).
        job.history.push({ timestamp: loggingNow(), status: 'Matched', minorStatus: 'Assigned', source: 'Matcher' });
        const reference = typeof resources.PilotReference === 'string' ? resources.PilotReference : undefined;
        if (reference) {
          const pilot = setup.state.pilot(reference);
          pilot.status = 'Running';
          pilot.jobs.push(job.jobId);
          job.matchedBy = reference;
        }
        const jdl = renderJdl({
          ...job.fields,
          JobID: job.jobId,
          Owner: job.owner,
          OwnerGroup: job.ownerGroup,
          VirtualOrganization: job.vo,
          JobRequirements: {
            CPUTime: Number(job.fields.CPUTime ?? 0),
            Owner: job.owner,
            OwnerGroup: job.ownerGroup,
            UserPriority: 1,
            VirtualOrganization: job.vo,
          },
        });
        return sOK({ JDL: jdl, JobID: job.jobId, Owner: job.owner, Group: job.ownerGroup, PilotInfoReportedFlag: reference !== undefined });
      },
    },
  };
}

/** UTC now as DIRAC's str(datetime.utcnow()) writes it: `YYYY-MM-DD HH:MM:SS.ffffff`. */
function loggingNow(): string {
  return `${new Date().toISOString().replace('T', ' ').replace('Z', '')}000`;
}

/** A LoggingInfo time (`YYYY-MM-DD HH:MM:SS[.ffffff]`, UTC) in microseconds; null when it is not one. */
export function loggingTime(timestamp: string): number | null {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?$/.exec(timestamp);
  if (!m) return null;
  const seconds = Date.parse(`${m[1]}T${m[2]}Z`);
  if (Number.isNaN(seconds)) return null;
  return seconds * 1000 + Number((m[3] ?? '').padEnd(6, '0'));
}

function jobOf(setup: ServiceSetup, id: unknown): ReturnType<DevState['jobs']['get']> {
  return setup.state.jobs.get(Number(id));
}

export function jobStateUpdate(setup: ServiceSetup): ServiceHandlers {
  return {
    rpc: {
      setJobStatusBulk: (args) => {
        const job = jobOf(setup, args[0]);
        if (!job) return sERROR(`Job ${String(args[0])} not found`);
        const updates = asRecord(args[1]);
        // MySQL in strict mode refuses a value longer than its column, and the record is lost.
        for (const record of Object.values(updates)) {
          for (const [column, max] of Object.entries(STATUS_COLUMNS)) {
            const value = asRecord(record)[column];
            if (typeof value === 'string' && [...value].length > max) {
              return sERROR(`Failed to insert logging record: (1406, "Data too long for column '${column}' at row 1")`);
            }
          }
        }
        const times = Object.keys(updates).sort();
        const bad = times.find((timestamp) => loggingTime(timestamp) === null);
        if (bad !== undefined) return sERROR(`Bad timestamp ${bad}`);
        const refusal = setup.state.refuseStatusUpdate?.(job.jobId, updates);
        if (refusal) return sERROR(refusal);
        // DIRAC's JobStatusUtility.setJobStatusBulk: empty values are dropped; the job's status,
        // minor and application status move only when the newest update is no older than the
        // newest record already logged (getWMSTimeStamps), and then only by the updates from that
        // time on, in timestamp order; every update is logged, a missing field as "idem".
        const lastTime = Math.max(-Infinity, ...job.history.map((h) => loggingTime(h.timestamp) ?? -Infinity));
        const newest = loggingTime(times[times.length - 1] ?? '') ?? -Infinity;
        const nonEmpty = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
        for (const timestamp of times) {
          const u = asRecord(updates[timestamp]);
          const status = nonEmpty(u.Status);
          const minorStatus = nonEmpty(u.MinorStatus);
          const applicationStatus = nonEmpty(u.ApplicationStatus);
          if (newest >= lastTime && loggingTime(timestamp)! >= lastTime) {
            if (status && !(FINAL.has(job.status) && status !== 'Rescheduled')) job.status = status;
            if (minorStatus !== undefined) job.minorStatus = minorStatus;
            if (applicationStatus !== undefined) job.applicationStatus = applicationStatus;
          }
          job.history.push({
            timestamp,
            ...(status !== undefined ? { status } : {}),
            ...(minorStatus !== undefined ? { minorStatus } : {}),
            ...(applicationStatus !== undefined ? { applicationStatus } : {}),
            source: loggedSource(u.Source),
          });
        }
        return sOK();
      },
      setJobParameters: (args) => {
        const job = jobOf(setup, args[0]);
        if (!job) return sERROR(`Job ${String(args[0])} not found`);
        for (const pair of Array.isArray(args[1]) ? args[1] : []) {
          if (Array.isArray(pair) && pair.length === 2) job.parameters[String(pair[0])] = pair[1];
        }
        return sOK();
      },
      sendHeartBeat: (args) => {
        const job = jobOf(setup, args[0]);
        if (!job) return sERROR(`Job ${String(args[0])} not found`);
        job.heartbeats++;
        if (FINAL.has(job.status)) job.heartbeatsAfterFinal++;
        // setHeartBeatData forces Running, which is why a pilot must never beat after the end, and
        // why a Killed job is Running again once its pilot beats: the pilot must report its end.
        job.status = 'Running';
        // JobDB's JobCommands: a command is handed out once (Received → Sent).
        if (job.killRequested && !job.killSent) {
          job.killSent = true;
          return sOK({ Kill: '' });
        }
        return sOK({});
      },
    },
  };
}

export function jobManager(setup: ServiceSetup): ServiceHandlers {
  return {
    rpc: {
      rescheduleJob: (args) => {
        const ids = Array.isArray(args[0]) ? args[0] : [args[0]];
        for (const id of ids) {
          const job = jobOf(setup, id);
          if (!job) continue;
          job.rescheduled++;
          job.status = 'Waiting';
          job.minorStatus = 'Rescheduled';
        }
        return sOK(ids as PyValue[]);
      },
    },
  };
}

function storeSandbox(setup: ServiceSetup, fileId: unknown, data: Buffer, ownerDN: string): PyValue {
  const [name, assignTo] = Array.isArray(fileId) ? fileId : [fileId, {}];
  if (typeof name !== 'string') return sERROR('Sandbox file id must be [name, assignTo]');
  // SandboxStoreHandler: a sandbox over MaxSandboxSizeMiB is refused, the client told to use grid storage.
  if (setup.maxSandboxBytes > 0 && data.length > setup.maxSandboxBytes)
    return sERROR('Sandbox is too big. Please upload it to a grid storage element');
  const md5 = createHash('md5').update(data).digest('hex');
  if (!name.startsWith(`${md5}.tar`)) return sERROR(`Sandbox name ${name} does not match its MD5 ${md5}`);
  const user = setup.userNames.get(ownerDN) ?? 'unknown';
  const path = `/SandBox/${user[0]}/${user}/${md5.slice(0, 3)}/${md5.slice(3, 6)}/${name}`;
  setup.state.sandboxes.set(path, data);
  const pfn = `SB:${setup.sandboxSE}|${path}`;
  for (const [entity, kind] of Object.entries(asRecord(assignTo))) {
    const match = /^Job:(\d+)$/.exec(entity);
    const job = match ? setup.state.jobs.get(Number(match[1])) : undefined;
    if (job && kind === 'Output') job.outputSandbox = pfn;
  }
  return sOK(pfn);
}

export function sandboxStore(
  setup: ServiceSetup,
): ServiceHandlers & { raw: Record<string, (args: unknown[]) => Promise<Buffer | PyValue>> } {
  const fetch = (path: unknown): Buffer | undefined => (typeof path === 'string' ? setup.state.sandboxes.get(path) : undefined);
  return {
    rpc: {
      streamFromClient: (args, ctx) => {
        const data = args[3];
        if (!(data instanceof Uint8Array)) return sERROR('streamFromClient needs the data as bytes');
        return storeSandbox(setup, args[0], Buffer.from(data), ctx.identityDN);
      },
    },
    raw: {
      streamToClient: async (args) => fetch(args[0]) ?? sERROR(`Sandbox ${String(args[0])} does not exist`),
    },
    toClient: async (fileId) => fetch(fileId) ?? { error: `Sandbox ${String(fileId)} does not exist` },
    fromClient: async (fileId, _token, data, ctx) => storeSandbox(setup, fileId, data, ctx.identityDN),
  };
}

export function pilotManager(setup: ServiceSetup): ServiceHandlers {
  return {
    rpc: {
      setPilotStatus: (args) => {
        const pilot = setup.state.pilot(String(args[0]));
        pilot.status = String(args[1]);
        if (typeof args[3] === 'string') pilot.reason = args[3];
        return sOK();
      },
      addPilotReferences: (args) => {
        const stamps = asRecord(args[3]);
        for (const ref of asList(args[0])) {
          const pilot = setup.state.pilot(ref);
          pilot.stamp = String(stamps[ref] ?? '');
          pilot.added = true;
          pilot.addedBy = 'addPilotReferences';
        }
        return sOK();
      },
      getPilotInfo: (args) => {
        const pilot = setup.state.pilots.get(String(args[0]));
        if (!pilot?.added) return sERROR(`No pilots found for reference ${String(args[0])}`, 1550);
        return sOK({
          [pilot.reference]: { PilotJobReference: pilot.reference, Status: pilot.status, PilotStamp: pilot.stamp ?? '', Jobs: pilot.jobs },
        });
      },
    },
  };
}

export function proxyManager(setup: ServiceSetup): ServiceHandlers {
  const delegate = async (args: unknown[], voms: boolean): Promise<PyValue> => {
    const [dn, group, csr, lifetime, attribute] = args;
    if (voms) {
      // ProxyDB.getVOMSProxy: the attribute asked for, else the group's mapping; the VOMS server
      // grants only what the group maps to (a VO alone maps to nothing).
      const mapped = setup.vomsAttributeOf?.(String(group));
      const wanted = typeof attribute === 'string' && attribute ? attribute : mapped;
      if (!wanted) return sERROR(`No mapping defined for group ${String(group)} in the CS`);
      if (wanted !== mapped) return sERROR(`Failed to set VOMS attributes: ${wanted} is not granted to group ${String(group)}`);
    }
    const user = setup.users.get(String(dn));
    if (!user) return sERROR(`No proxy stored for ${String(dn)}`);
    if (typeof csr !== 'string') return sERROR('The request must be a PEM CSR');
    try {
      return sOK(await signProxyRequest(user, csr, Math.min(Number(lifetime) || 3600, 86_400)));
    } catch (error) {
      return sERROR(`Cannot sign the request: ${(error as Error).message}`);
    }
  };
  return { rpc: { getVOMSProxy: (args) => delegate(args, true), getProxy: (args) => delegate(args, false) } };
}

export function configuration(setup: ServiceSetup): ServiceHandlers {
  return { rpc: { getCompressedData: () => sOK(new Uint8Array(deflateSync(Buffer.from(setup.cfgText())))) } };
}
