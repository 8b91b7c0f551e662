import { JOB_STATUSES, type JobStatus } from '../../backend/types.js';
import { parseJobIdKeys, requireManage, type ServerCore } from '../core.js';
import { contractError, HttpError, queryFlag, type Route } from '../http.js';
import { applyStatusUpdates, takeCommands, type StatusChange, type StatusUpdateInput } from '../jobs.js';
import { promoteToWaiting } from '../submission.js';
import { parseTimestamp } from '../timestamps.js';

type StatusBody = Record<
  string,
  Record<string, { Status?: JobStatus | null; MinorStatus?: string | null; ApplicationStatus?: string | null; Source?: string }>
>;

/** PATCH /api/jobs/status: timestamped updates per job, through the state machine. */
function setJobStatuses(core: ServerCore): Route {
  return {
    method: 'PATCH',
    path: '/api/jobs/status',
    auth: true,
    body: 'json',
    handler(ctx) {
      const body = ctx.body as StatusBody;
      const ids = parseJobIdKeys(body);
      requireManage(core, ctx, ids);
      const parsed = new Map<number, StatusUpdateInput[]>();
      for (const id of ids) {
        const updates: StatusUpdateInput[] = [];
        for (const [stamp, update] of Object.entries(body[String(id)] ?? {})) {
          const when = parseTimestamp(stamp);
          if (!when) {
            throw contractError(422, [
              {
                type: 'datetime_from_date_parsing',
                loc: ['body', String(id), stamp, '[key]'],
                msg: 'Input should be a valid datetime',
                input: stamp,
              },
            ]);
          }
          if (!when.aware) throw contractError(400, `Timestamp is not timezone aware for job ${id}`);
          updates.push({
            timestamp: when.date,
            Status: update.Status ?? null,
            MinorStatus: update.MinorStatus ?? null,
            ApplicationStatus: update.ApplicationStatus ?? null,
            Source: update.Source ?? 'Unknown',
          });
        }
        parsed.set(id, updates);
      }
      const force = queryFlag(ctx, 'force');
      const success: Record<string, StatusChange> = {};
      const failed: Record<string, { detail: string }> = {};
      for (const [id, updates] of parsed) {
        const job = core.state.jobs.get(id);
        if (!job) {
          failed[String(id)] = { detail: 'Not found' };
          continue;
        }
        success[String(id)] = applyStatusUpdates(job, updates, force);
      }
      if (Object.keys(success).length === 0) throw new HttpError(404, failed);
      return { status: 200, json: { success, failed } };
    },
  };
}

/**
 * PATCH /api/jobs/heartbeat. Unknown jobs and a second heartbeat for one job within the same
 * second are 500s, as the real server gives them (diracx-api.md §7).
 */
function addHeartbeat(core: ServerCore): Route {
  return {
    method: 'PATCH',
    path: '/api/jobs/heartbeat',
    auth: true,
    body: 'json',
    handler(ctx) {
      const body = ctx.body as Record<string, Record<string, unknown>>;
      const ids = parseJobIdKeys(body);
      requireManage(core, ctx, ids);
      const now = new Date();
      const second = Math.floor(now.getTime() / 1000);
      for (const id of ids) {
        const job = core.state.jobs.get(id);
        const last = job?.heartbeats.at(-1);
        if (!job || (last && Math.floor(Date.parse(last.time) / 1000) === second)) {
          return { status: 500, raw: 'Internal Server Error', contentType: 'text/plain; charset=utf-8' };
        }
      }
      const commands: { job_id: number; command: string; arguments: string | null }[] = [];
      for (const id of ids) {
        const job = core.state.jobs.get(id)!;
        const data = body[String(id)] ?? {};
        job.heartbeats.push({ time: now.toISOString(), data });
        if (typeof data.StandardOutput === 'string') job.parameters.StandardOutput = data.StandardOutput;
        if (job.status === 'Matched' || job.status === 'Stalled') {
          applyStatusUpdates(job, [{ timestamp: now, Status: 'Running', Source: 'Heartbeat' }]);
        } else {
          job.heartBeatTime = now.toISOString();
        }
        for (const command of takeCommands(job)) commands.push({ job_id: id, command: command.command, arguments: command.arguments });
      }
      return { status: 200, json: commands };
    },
  };
}

/** JobAttributes columns; every other metadata key is stored as a job parameter. */
const JOB_ATTRIBUTES = new Set([
  'Status',
  'MinorStatus',
  'ApplicationStatus',
  'Site',
  'JobName',
  'JobType',
  'JobGroup',
  'Owner',
  'OwnerGroup',
  'VO',
  'SubmissionTime',
  'RescheduleTime',
  'LastUpdateTime',
  'StartExecTime',
  'HeartBeatTime',
  'EndExecTime',
  'UserPriority',
  'RescheduleCounter',
  'VerifiedFlag',
  'AccountedFlag',
]);

function patchMetadata(core: ServerCore): Route {
  return {
    method: 'PATCH',
    path: '/api/jobs/metadata',
    auth: true,
    body: 'json',
    handler(ctx) {
      const body = ctx.body as Record<string, Record<string, unknown>>;
      const ids = parseJobIdKeys(body);
      requireManage(core, ctx, ids);
      const missing = ids.filter((id) => !core.state.jobs.has(id));
      if (missing.length > 0) throw new HttpError(400, `Jobs not found: ${missing.join(', ')}`);
      for (const id of ids) {
        const job = core.state.jobs.get(id)!;
        for (const [key, value] of Object.entries(body[String(id)] ?? {})) {
          if (value === null || key === 'timestamp') continue;
          if (!JOB_ATTRIBUTES.has(key)) {
            job.parameters[key] = value;
            continue;
          }
          // Attributes are written as-is, bypassing the state machine, as DiracX's patch does.
          if (key === 'Status') {
            if (!(JOB_STATUSES as readonly string[]).includes(String(value))) throw new HttpError(400, `Invalid status ${String(value)}`);
            job.status = value as JobStatus;
          } else if (key === 'MinorStatus') job.minorStatus = String(value);
          else if (key === 'ApplicationStatus') job.applicationStatus = String(value);
          job.attributes[key] = value;
        }
      }
      return { status: 204 };
    },
  };
}

/**
 * POST /api/jobs/reschedule. The job is sent to Received through the state machine, so a job still
 * Matched stays Matched with Source "Unknown(SM)" yet counts as rescheduled (diracx-api.md §7).
 * Past MaxRescheduling the job is refused with DiracX's message; the real server applies the
 * prepared `Failed / Maximum of reschedulings reached` only when another job of the same request
 * succeeded, so a job alone in its request is left exactly as it was (quirk reproduced on purpose).
 */
function rescheduleJobs(core: ServerCore): Route {
  return {
    method: 'POST',
    path: '/api/jobs/reschedule',
    auth: true,
    body: 'json',
    handler(ctx) {
      const { job_ids: ids } = ctx.body as { job_ids: number[] };
      requireManage(core, ctx, ids);
      const reset = queryFlag(ctx, 'reset_jobs');
      const success: Record<string, Record<string, unknown>> = {};
      const failed: Record<string, { detail: string }> = {};
      const overLimit: number[] = [];
      for (const id of ids) {
        const job = core.state.jobs.get(id);
        if (!job) {
          failed[String(id)] = { detail: 'Job not found' };
          continue;
        }
        if (reset) job.rescheduleCounter = 0;
        if (job.rescheduleCounter >= core.options.maxRescheduling) {
          overLimit.push(id);
          failed[String(id)] = { detail: `Maximum number of reschedules exceeded (${core.options.maxRescheduling})` };
          continue;
        }
        job.rescheduleCounter += 1;
        applyStatusUpdates(job, [{ timestamp: new Date(), Status: 'Received', MinorStatus: 'Job Rescheduled', Source: 'Unknown' }]);
        if (job.status === 'Received') promoteToWaiting(job);
        success[String(id)] = {
          JobID: id,
          InputData: job.jdl,
          Owner: job.owner,
          OwnerGroup: job.ownerGroup,
          VirtualOrganization: job.vo,
          RescheduleCounter: job.rescheduleCounter,
        };
      }
      if (Object.keys(success).length === 0) throw new HttpError(400, { failed, success });
      for (const id of overLimit) {
        applyStatusUpdates(core.state.jobs.get(id)!, [
          { timestamp: new Date(), Status: 'Failed', MinorStatus: 'Maximum of reschedulings reached', Source: 'JobManager' },
        ]);
      }
      return { status: 200, json: { success, failed } };
    },
  };
}

export function jobStatusRoutes(core: ServerCore): Route[] {
  return [setJobStatuses(core), addHeartbeat(core), patchMetadata(core), rescheduleJobs(core)];
}
