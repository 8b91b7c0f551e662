import type { MatchedJob, MatchRequest } from '../backend/types.js';
import type { TokenSource } from './credentials/token-source.js';
import type { DiracxConnection } from './http/connection.js';
import { MatchReplySchema } from './schemas.js';

export const DEFAULT_MATCH_PATH = '/api/jobs/match';

/** The JSON body of a match request: what `requestMatch` sends, and what `pilot run --dry-run` prints. */
export function matchRequestBody(request: MatchRequest): Record<string, unknown> {
  return {
    pilot_stamp: request.pilotStamp,
    vo: request.vo,
    max_jobs: request.maxJobs,
    node: request.node,
    resources: request.resources,
  };
}

/**
 * PROVISIONAL: DiracX has no match endpoint yet. The exchange is the one in DESIGN.md "The wire"
 * and docs/diracx.md; the path is configurable so a deployment can point it at its stand-in.
 * Not idempotent: the server moves the jobs it returns to Matched, so a resent request would
 * take more jobs than this pilot will run.
 */
export async function requestMatch(
  connection: DiracxConnection,
  auth: TokenSource,
  matchPath: string,
  request: MatchRequest,
): Promise<MatchedJob[]> {
  const reply = await connection.call({
    endpoint: `POST ${matchPath} (provisional match)`,
    request: {
      method: 'POST',
      target: matchPath,
      json: matchRequestBody(request),
    },
    schema: MatchReplySchema,
    idempotent: false,
    auth,
  });
  return reply.jobs.map((job) => ({
    jobId: job.job_id,
    jdl: job.jdl,
    owner: job.owner,
    ownerGroup: job.owner_group,
    vo: job.vo,
    credentials: job.credentials
      ? {
          accessToken: job.credentials.access_token,
          expiresIn: job.credentials.expires_in,
          refreshToken: job.credentials.refresh_token ?? null,
        }
      : null,
  }));
}
