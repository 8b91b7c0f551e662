import { JdlError } from '../../jdl/jdl.js';
import { requireNormalUser, type ServerCore } from '../core.js';
import { HttpError, type Route } from '../http.js';
import { createJob } from '../submission.js';

/** DiracX caps one submission at this many jobs (routers/jobs/submission.py). */
const MAX_JOBS_PER_SUBMISSION = 20;

/** POST /api/jobs/jdl: a NormalUser submits JDL strings; no parametric expansion here. */
export function submitJdlRoute(core: ServerCore): Route {
  return {
    method: 'POST',
    path: '/api/jobs/jdl',
    auth: true,
    body: 'json',
    handler(ctx) {
      const identity = requireNormalUser(ctx);
      const jdls = ctx.body as string[];
      if (jdls.length > MAX_JOBS_PER_SUBMISSION)
        throw new HttpError(400, `Too many jobs: at most ${MAX_JOBS_PER_SUBMISSION} per submission`);
      if (jdls.length === 0) throw new HttpError(400, 'No job descriptions given');
      const inserted = [];
      for (const [index, jdl] of jdls.entries()) {
        if (/%[sn]|Parameters\s*=/i.test(jdl))
          throw new HttpError(400, `Job ${index}: parametric jobs are not supported by the dev server`);
        try {
          const job = createJob(core.state, { jdl, owner: identity.preferredUsername, ownerGroup: identity.group });
          inserted.push({ JobID: job.id, Status: 'Received', MinorStatus: 'Job accepted', TimeStamp: job.submissionTime });
        } catch (error) {
          if (error instanceof JdlError) throw new HttpError(400, `JDL syntax error in job ${index}: ${error.message}`);
          throw error;
        }
      }
      return { status: 201, json: inserted };
    },
  };
}
