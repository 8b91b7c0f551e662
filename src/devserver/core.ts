import type { AuthSettings, Identity, TokenAuthority } from './auth.js';
import { GENERIC_PILOT, NORMAL_USER } from './auth.js';
import type { JwtSigner } from './jwt.js';
import type { Presigner } from './presign.js';
import type { DevServerState } from './state.js';
import { HttpError, contractError, type RequestContext } from './http.js';
import type { ValidationIssue } from './validation.js';
import type { ZodError } from 'zod';

export interface DevServerFeatures {
  /** Proposal (diracx PR #550): POST /api/pilots/internal/message. */
  pilotLogs: boolean;
  /** Proposal (diracx PRs #421/#550): POST /api/auth/secret-exchange. */
  secretExchange: boolean;
}

export interface ResolvedOptions {
  vo: string;
  matchPath: string;
  sandboxMaxBytes: number;
  features: DevServerFeatures;
  /** Validity of presigned URLs (DiracX default 300 s). */
  presignTtlSeconds: number;
  /** DIRAC's default MaxRescheduling. */
  maxRescheduling: number;
}

/** What every route handler may use: the acknowledged state and the server's keys. */
export interface ServerCore {
  state: DevServerState;
  tokens: TokenAuthority;
  signer: JwtSigner;
  presigner: Presigner;
  options: ResolvedOptions;
  auth: AuthSettings;
}

export function requireIdentity(ctx: RequestContext): Identity {
  if (!ctx.identity) throw new HttpError(401, 'Not authenticated', { 'www-authenticate': 'Bearer' });
  return ctx.identity;
}

export function hasProperty(identity: Identity, property: string): boolean {
  return identity.properties.includes(property);
}

/** WMS MANAGE: GenericPilot may manage any job (diracx-api.md §1); a NormalUser only their own. */
export function requireManage(core: ServerCore, ctx: RequestContext, jobIds: number[]): Identity {
  const identity = requireIdentity(ctx);
  if (hasProperty(identity, GENERIC_PILOT) || hasProperty(identity, 'JobAdministrator')) return identity;
  if (hasProperty(identity, NORMAL_USER)) {
    const foreign = jobIds.filter((id) => {
      const job = core.state.jobs.get(id);
      return job !== undefined && job.owner !== identity.preferredUsername;
    });
    if (foreign.length === 0) return identity;
  }
  throw new HttpError(403, 'Forbidden');
}

export function requireNormalUser(ctx: RequestContext): Identity {
  const identity = requireIdentity(ctx);
  if (!hasProperty(identity, NORMAL_USER)) throw new HttpError(403, `Forbidden: requires the ${NORMAL_USER} property`);
  return identity;
}

/** Job IDs are JSON object keys on the wire; pydantic parses them as int (422 otherwise). */
export function parseJobIdKeys(body: Record<string, unknown>): number[] {
  const issues: ValidationIssue[] = [];
  const ids: number[] = [];
  for (const key of Object.keys(body)) {
    if (!/^[+-]?\d+$/.test(key.trim())) {
      issues.push({
        type: 'int_parsing',
        loc: ['body', key, '[key]'],
        msg: 'Input should be a valid integer, unable to parse string as an integer',
        input: key,
      });
    } else {
      ids.push(Number(key));
    }
  }
  if (issues.length > 0) throw contractError(422, issues);
  return ids;
}

export function zodIssues(error: ZodError, where = 'body'): ValidationIssue[] {
  return error.issues.map((issue) => ({ type: issue.code, loc: [where, ...issue.path], msg: issue.message }));
}
