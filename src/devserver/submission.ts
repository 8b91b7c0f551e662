import { formatJdl, parseJdl, jdlList, renderJdl, type JdlFields, type JdlDocument } from '../jdl/jdl.js';
import { applyStatusUpdates, type StoredJob } from './jobs.js';
import { buildTarZst } from './sandbox-archive.js';
import type { DevServerState } from './state.js';

export interface JobSubmission {
  /** JDL text, as `POST /api/jobs/jdl` takes it. */
  jdl?: string;
  /** Or structured fields, rendered to JDL (strings quoted, numbers bare, arrays as lists). */
  fields?: JdlFields;
  owner?: string;
  ownerGroup?: string;
  /** Files for an input sandbox: packed as tar.zst under the owner's namespace and added to InputSandbox. */
  inputFiles?: Record<string, string | Buffer>;
}

export const DEFAULT_OWNER = 'demo-user';

/** `SB:SandboxSE|/S3/<bucket>/<vo>/<group>/<user>/sha256:<hex>.<format>`, DiracX's PFN form. */
export function sandboxPfn(state: DevServerState, key: string): string {
  return `SB:SandboxSE|/S3/${state.bucket}/${key}`;
}

function storeInputSandbox(state: DevServerState, namespace: string, files: Record<string, string | Buffer>): string {
  const archive = buildTarZst(files);
  const key = `${namespace}/sha256:${archive.sha256}.tar.zst`;
  state.objects.set(key, { data: archive.data, sha256: archive.sha256, size: archive.size, namespace });
  return sandboxPfn(state, key);
}

/** Quotes a string for JDL; JDL has no escapes, so a `"` cannot be written. */
function quote(text: string): string {
  if (text.includes('"')) throw new Error(`JDL strings cannot hold '"': ${text}`);
  return `"${text}"`;
}

/**
 * Stores a job the way DiracX's submission does: the JDL gains Owner, OwnerGroup,
 * VirtualOrganization and JobID, and the job goes Received → Waiting at once (the dev server plays
 * the optimizers). Throws JdlError on JDL that does not parse.
 */
export function createJob(state: DevServerState, submission: JobSubmission): StoredJob {
  const owner = submission.owner ?? DEFAULT_OWNER;
  const ownerGroup = submission.ownerGroup ?? `${state.vo}_user`;
  const text = submission.jdl ?? renderJdl(submission.fields ?? {});
  const submitted: JdlDocument = parseJdl(text);
  const id = state.nextJobId++;
  const inputSandbox = jdlList(submitted, 'InputSandbox');
  if (submission.inputFiles && Object.keys(submission.inputFiles).length > 0) {
    inputSandbox.push(storeInputSandbox(state, `${state.vo}/${ownerGroup}/${owner}`, submission.inputFiles));
  }
  // A repeated attribute takes the last value, so appending overrides what the user sent.
  const extra = [
    `JobID = ${id};`,
    `Owner = ${quote(owner)};`,
    `OwnerGroup = ${quote(ownerGroup)};`,
    `VirtualOrganization = ${quote(state.vo)};`,
  ];
  if (inputSandbox.length > 0) extra.push(`InputSandbox = {${inputSandbox.map(quote).join(', ')}};`);
  const body = formatJdl(submitted)
    .replace(/^\[\s*/, '')
    .replace(/\]\s*$/, '');
  const stored = parseJdl(`[\n${body}\n${extra.join('\n')}\n]`);
  const now = new Date();
  const job: StoredJob = {
    id,
    owner,
    ownerGroup,
    vo: state.vo,
    jdl: formatJdl(stored),
    status: 'Received',
    minorStatus: 'Job accepted',
    applicationStatus: 'Unknown',
    history: [],
    appliedUpdates: new Set(),
    heartbeats: [],
    parameters: {},
    attributes: {},
    commands: [],
    inputSandbox,
    outputSandboxPfn: null,
    rescheduleCounter: 0,
    submissionTime: now.toISOString(),
    lastUpdateTime: now.toISOString(),
    startExecTime: null,
    endExecTime: null,
    heartBeatTime: null,
    pilotStamp: null,
  };
  job.history.push({
    status: 'Received',
    minorStatus: 'Job accepted',
    applicationStatus: 'Unknown',
    source: 'JobManager',
    timestamp: now.toISOString(),
  });
  state.jobs.set(id, job);
  promoteToWaiting(job);
  return job;
}

/** What DIRAC's optimizer chain ends with for a job that needs no staging. */
export function promoteToWaiting(job: StoredJob): void {
  applyStatusUpdates(job, [{ timestamp: new Date(), Status: 'Waiting', MinorStatus: 'Pilot Agent Submission', Source: 'JobScheduling' }]);
}

export function storedDocument(job: StoredJob): JdlDocument {
  return parseJdl(job.jdl);
}
