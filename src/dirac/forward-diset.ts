/**
 * Status updates the JobStateUpdate service never took, handed to the Request Management System
 * as DIRAC v9's JobWrapper hands them: a `ForwardDISET` operation whose Arguments are the DEncoded
 * rpcStub of the failed setJobStatusBulk call, which the RequestExecutingAgent replays later.
 *
 * The rpcStub is `((service, kwargs), method, args)`. The service is the name the client was made
 * with ("WorkloadManagement/JobStateUpdate", not a URL: the replaying agent resolves it again);
 * kwargs are the connection options DIRAC's client had once built, less useCertificates:
 *  - an HTTPS (Tornado) client: timeout 600 (Client's DEFAULT_RPC_TIMEOUT) and useAccessToken
 *    (the CS's /DIRAC/Security/UseTokens, false by default);
 *  - a DIPS client: timeout 600, skipCACheck (false for a proxy unless the CS's
 *    /DIRAC/Security/SkipCAChecks says otherwise) and keepAliveLapse 150.
 * Tornado's client writes the stub as tuples; DIPS's as lists, which v9's ForwardDISET handler
 * does not accept (it replays a tuple, or a dict for DiracX), so the stub is always written as
 * tuples here: the form the handler replays, whichever protocol the call was made over.
 */
import { PyTuple, dencode, type PyValue } from './codec/index.js';

export const JOB_STATE_UPDATE = 'WorkloadManagement/JobStateUpdate';

/** Status records by timestamp, as setJobStatusBulk takes them. */
export type StatusRecords = Record<string, Record<string, PyValue>>;

export interface StubOptions {
  /** The protocol of the JobStateUpdate URL the client would have picked first. */
  protocol: 'dips' | 'https';
  /** /DIRAC/Security/UseTokens (HTTPS clients). */
  useAccessToken?: boolean;
  /** /DIRAC/Security/SkipCAChecks (DIPS clients with a proxy). */
  skipCACheck?: boolean;
}

/** The connection options DIRAC's client keeps in the stub, in the order it adds them. */
export function stubKwargs(options: StubOptions): Record<string, PyValue> {
  if (options.protocol === 'https') return { timeout: 600, useAccessToken: options.useAccessToken ?? false };
  return { timeout: 600, skipCACheck: options.skipCACheck ?? false, keepAliveLapse: 150 };
}

/** The rpcStub of `setJobStatusBulk(jobId, records, False)`, as JobReport's client returns it on failure. */
export function statusBulkStub(jobId: number, records: StatusRecords, options: StubOptions): PyTuple {
  return new PyTuple([new PyTuple([JOB_STATE_UPDATE, stubKwargs(options)]), 'setJobStatusBulk', [jobId, records, false]]);
}

/**
 * Operation.Arguments of the ForwardDISET: DEncode.encode(rpcStub), which is bytes in DIRAC; the
 * request's JSON carries it decoded as UTF-8 (RMSEncoder), as here.
 */
export function forwardDisetArguments(stub: PyValue): string {
  return dencode(stub).toString('utf8');
}
