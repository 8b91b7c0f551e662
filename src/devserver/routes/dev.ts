import type { ServerCore } from '../core.js';
import type { Route } from '../http.js';
import type { StoredJob } from '../jobs.js';

/** The dev-only view of a job: what the demo summary and tests read. Never under /api. */
export function jobView(job: StoredJob): Record<string, unknown> {
  return {
    id: job.id,
    owner: job.owner,
    ownerGroup: job.ownerGroup,
    status: job.status,
    minorStatus: job.minorStatus,
    applicationStatus: job.applicationStatus,
    history: job.history,
    heartbeats: job.heartbeats.length,
    parameters: job.parameters,
    outputSandbox: job.outputSandboxPfn,
    pilotStamp: job.pilotStamp,
    startExecTime: job.startExecTime,
    endExecTime: job.endExecTime,
  };
}

/** GET /dev/jobs: every job with its status history, for `npm run demo`'s summary. No auth: loopback only. */
export function devRoutes(core: ServerCore): Route[] {
  return [
    {
      method: 'GET',
      path: '/dev/jobs',
      auth: false,
      body: 'none',
      handler: () => ({ status: 200, json: { jobs: [...core.state.jobs.values()].map(jobView) } }),
    },
    {
      method: 'GET',
      path: '/dev/pilots',
      auth: false,
      body: 'none',
      handler: () => ({ status: 200, json: { pilots: [...core.state.pilots.values()], logLines: core.state.pilotLogs.length } }),
    },
  ];
}
