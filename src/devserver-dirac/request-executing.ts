/**
 * What DIRAC's RequestExecutingAgent does with the requests ReqManager holds, for the operations
 * this dev server can run: a ForwardDISET's Arguments are decoded (DEncode) and, when they are a
 * DISET rpcStub `((service, kwargs), method, args)`, the call is made again on behalf of the
 * request's owner (the handler sets delegatedDN/delegatedGroup and uses the host certificate).
 * v9's handler replays a tuple only (a dict is a DiracX stub); anything else fails the operation.
 * Operations run in their order; one that fails, or that this server cannot run (data
 * operations), leaves the request Waiting. A request waits until its NotBefore.
 */
import { PyTuple, ddecode } from '../dirac/codec/index.js';
import type { StoredRequest } from './data-services.js';
import type { ServiceHandlers } from './dips-server.js';

type Json = Record<string, unknown>;

export interface ExecutedRequest {
  id: number;
  status: 'Done' | 'Waiting';
  /** The operations run, with their outcome (`Done` or the error). */
  operations: { type: string; outcome: string }[];
}

/** `YYYY-MM-DD HH:MM:SS`, naive UTC as the RMS writes it. */
function rmsTime(text: unknown): number {
  return typeof text === 'string' ? Date.parse(`${text.replace(' ', 'T')}Z`) : Number.NaN;
}

function isResult(value: unknown): value is { OK: boolean; Message?: unknown } {
  return typeof value === 'object' && value !== null && 'OK' in value;
}

export async function executeWaitingRequests(
  requests: readonly StoredRequest[],
  services: Readonly<Record<string, ServiceHandlers>>,
  ownerDN: (owner: unknown) => string | undefined,
  now: Date,
): Promise<ExecutedRequest[]> {
  const executed: ExecutedRequest[] = [];
  for (const stored of requests) {
    const request = stored.parsed;
    if (request.Status !== 'Waiting') continue;
    const notBefore = rmsTime(request.NotBefore);
    if (!Number.isNaN(notBefore) && notBefore > now.getTime()) continue;
    const record: ExecutedRequest = { id: stored.id, status: 'Waiting', operations: [] };
    executed.push(record);
    const ops = Array.isArray(request.Operations) ? (request.Operations as Json[]) : [];
    let blocked = false;
    for (const op of ops) {
      if (op.Status === 'Done') continue;
      if (op.Type !== 'ForwardDISET') {
        blocked = true;
        break;
      }
      const error = await forward(op, request, services, ownerDN);
      record.operations.push({ type: 'ForwardDISET', outcome: error ?? 'Done' });
      if (error) {
        op.Error = error;
        blocked = true;
        break;
      }
      op.Status = 'Done';
    }
    if (!blocked) {
      request.Status = 'Done';
      record.status = 'Done';
    }
  }
  return executed;
}

/** Replays one ForwardDISET; returns the error, or null once the call succeeded. */
async function forward(
  op: Json,
  request: Json,
  services: Readonly<Record<string, ServiceHandlers>>,
  ownerDN: (owner: unknown) => string | undefined,
): Promise<string | null> {
  if (typeof op.Arguments !== 'string') return 'ForwardDISET without Arguments';
  const bytes = Buffer.from(op.Arguments, 'utf8');
  let exact: unknown;
  let plain: unknown;
  try {
    exact = ddecode(bytes, { exact: true }).value;
    plain = ddecode(bytes).value;
  } catch (error) {
    return (error as Error).message;
  }
  if (!(exact instanceof PyTuple) || exact.items.length !== 3) return 'Unknown type of stub';
  const [base, method, args] = plain as [unknown, unknown, unknown];
  if (!Array.isArray(base) || typeof base[0] !== 'string' || typeof method !== 'string' || !Array.isArray(args))
    return 'Unknown type of stub';
  const dn = ownerDN(request.Owner);
  if (!dn) return `No DN for user ${String(request.Owner)}`;
  // The stub names the service (System/Component), resolved again by the replaying agent.
  const handler = services[base[0]]?.rpc[method];
  if (!handler) return `Unknown service or method ${base[0]}.${method}`;
  const result = await handler(args, { identityDN: dn, service: base[0] });
  if (!isResult(result)) return 'The call returned no S_OK/S_ERROR';
  return result.OK ? null : String(result.Message);
}
