import { GENERIC_PILOT, userIdentity } from '../auth.js';
import { hasProperty, requireIdentity, zodIssues, type ServerCore } from '../core.js';
import { contractError, HttpError, type Route } from '../http.js';
import { applyStatusUpdates } from '../jobs.js';
import { MatchRequest, whyNotFit } from '../match.js';
import { storedDocument } from '../submission.js';

/** POST <matchPath> (default /api/jobs/match): the provisional, non-DiracX match exchange. */
export function matchRoute(core: ServerCore): Route {
  return {
    method: 'POST',
    path: core.options.matchPath,
    auth: true,
    body: 'json',
    handler(ctx) {
      const identity = requireIdentity(ctx);
      if (!hasProperty(identity, GENERIC_PILOT) && identity.pilotStamp === undefined)
        throw new HttpError(403, 'Forbidden: matching needs a pilot token');
      const parsed = MatchRequest.safeParse(ctx.body);
      if (!parsed.success) throw contractError(422, zodIssues(parsed.error));
      const request = parsed.data;
      if (request.vo !== identity.vo) throw new HttpError(403, `Forbidden: token is for VO ${identity.vo}, request for ${request.vo}`);
      const matched = [];
      for (const job of [...core.state.jobs.values()].sort((a, b) => a.id - b.id)) {
        if (matched.length >= request.max_jobs) break;
        if (job.status !== 'Waiting' || job.vo !== request.vo) continue;
        if (whyNotFit(storedDocument(job), request.resources) !== null) continue;
        applyStatusUpdates(job, [{ timestamp: new Date(), Status: 'Matched', MinorStatus: 'Assigned', Source: 'Matcher' }]);
        job.pilotStamp = request.pilot_stamp;
        const pair = core.tokens.issue(userIdentity(job.vo, job.owner, job.ownerGroup));
        matched.push({
          job_id: job.id,
          jdl: job.jdl,
          owner: job.owner,
          owner_group: job.ownerGroup,
          vo: job.vo,
          credentials: { access_token: pair.access_token, expires_in: pair.expires_in, refresh_token: pair.refresh_token },
        });
      }
      return { status: 200, json: { jobs: matched } };
    },
  };
}
