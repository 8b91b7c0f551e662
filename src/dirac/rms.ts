/**
 * DIRAC's RequestManagementSystem wire format: a failover request serialised exactly as
 * Request.toJSON() writes it (RMSEncoder over Request/Operation/File, Python json.dumps
 * separators, naive UTC "YYYY-MM-DD HH:MM:SS" timestamps), and its digest, which the JobWrapper
 * sets as the job's PendingRequest parameter. Checked against the output of DIRAC's own classes
 * (tests/fixtures/dirac-data-vectors/requests.json).
 */
import type { DataRequest, RequestFile, RequestOperation } from '../data/types.js';
import { jencode, type PyValue } from './codec/index.js';

function stamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

/** File.ChecksumType's setter: empty stays empty, AD means ADLER32, else upper-cased. */
function checksumType(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!value) return '';
  const upper = value.trim().toUpperCase();
  return upper === 'AD' ? 'ADLER32' : upper;
}

function fileJson(file: RequestFile): Record<string, PyValue> {
  return {
    Status: 'Waiting',
    LFN: file.LFN,
    PFN: file.PFN ?? null,
    ChecksumType: checksumType(file.ChecksumType),
    Checksum: file.Checksum ?? null,
    GUID: file.GUID ?? null,
    Attempt: 0,
    Size: file.Size ?? 0,
    Error: null,
  };
}

function operationJson(op: RequestOperation, order: number, now: string): Record<string, PyValue> {
  return {
    Type: op.Type,
    // The request's first operation waits for the agent; the others are queued behind it.
    Status: order === 0 ? 'Waiting' : 'Queued',
    Arguments: op.Arguments ?? null,
    Order: order,
    SourceSE: op.SourceSE ?? null,
    TargetSE: op.TargetSE ?? null,
    Catalog: op.Catalog ?? null,
    Error: null,
    CreationTime: now,
    SubmitTime: now,
    LastUpdate: now,
    Files: op.Files.map(fileJson),
  };
}

/** Request.toJSON() of a new request made at `now` (UTC, seconds). */
export function requestJson(request: DataRequest, now: Date = new Date()): string {
  const created = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const at = stamp(created);
  return jencode({
    RequestName: request.RequestName,
    Owner: request.Owner,
    OwnerGroup: request.OwnerGroup,
    Status: request.Operations.length > 0 ? 'Waiting' : 'Done',
    Error: null,
    SourceComponent: request.SourceComponent,
    JobID: request.JobID,
    CreationTime: at,
    SubmitTime: at,
    LastUpdate: at,
    NotBefore: stamp(new Date(created.getTime() + request.delayMinutes * 60_000)),
    Operations: request.Operations.map((op, i) => operationJson(op, i, at)),
  });
}

export { requestDigest } from '../data/request-digest.js';
