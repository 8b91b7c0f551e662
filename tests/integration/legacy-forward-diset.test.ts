import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ddecode } from '../../src/dirac/codec/index.js';
import { DEMO_JOBS, startDiracDevServer, type DiracDevServer } from '../../src/devserver-dirac/index.js';
import { DEMO_DATA_JOB, demoData, demoDataSetup } from '../../src/devserver-dirac/demo-data.js';
import { legacyPilotArgs, runPilot, tempDir, AGENT_HISTORY, WRAPPER_HISTORY_DONE } from './pilot-process.js';

/*
 * DIRAC v9's JobWrapper hands the status updates JobStateUpdate did not take to the Request
 * Management System (JobReport.generateForwardDISET): a ForwardDISET operation carrying the failed
 * setJobStatusBulk call, which the RequestExecutingAgent replays. Here JobStateUpdate refuses the
 * job's last updates; the pilot puts them to ReqManager; the dev server's agent pass replays them,
 * and the job's status and history end as they would have.
 */

let server: DiracDevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const DATA = {
  site: 'DIRAC.Test.local',
  storageElements: [],
  siteSEs: [],
  defaultOutputSEs: [],
  failoverSEs: [],
  failoverRequestDelay: 45,
};

describe('undelivered job statuses as a ForwardDISET request (legacy DIRAC)', () => {
  it('JobStateUpdate refuses the job’s end → ForwardDISET stored → replayed → Done with the full history', async () => {
    const dir = tempDir('legacy-forward-diset-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: DEMO_JOBS.slice(0, 1), data: DATA });
    const srv = server;
    // From the output sandbox's upload on, every setJobStatusBulk is refused (a JobDB gone away).
    let down = false;
    let refused = 0;
    srv.state.refuseStatusUpdate = (_jobId, updates) => {
      if (Object.values(updates).some((u) => (u as Record<string, unknown>).MinorStatus === 'Uploading Output Sandbox')) down = true;
      if (!down) return null;
      refused++;
      return 'Failed to insert logging record: (2006, "MySQL server has gone away")';
    };
    const run = await runPilot(legacyPilotArgs(srv, path.join(dir, 'work')));
    expect(refused, run.stderr).toBeGreaterThan(0);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('put to ReqManager as ForwardDISET');
    const job = srv.state.jobs.get(101)!;
    // The refused statuses are not there yet (a heartbeat while Completing may have set Running, as in DIRAC).
    expect(job.status).not.toBe('Done');
    expect(srv.state.loggingInfo(101).map((r) => r.minorStatus)).not.toContain('Execution Complete');

    // One request, for the job, in its owner's name, holding one ForwardDISET with the failed call.
    expect(srv.data.requests).toHaveLength(1);
    const stored = srv.data.requests[0]!;
    expect(stored.callerDN).toBe(srv.ownerDN);
    expect(stored.parsed).toMatchObject({
      RequestName: 'legacy-hello_job_101',
      JobID: 101,
      Owner: 'alice',
      OwnerGroup: 'gridpp_user',
      Status: 'Waiting',
    });
    const ops = stored.parsed.Operations as Record<string, unknown>[];
    expect(ops.map((op) => [op.Type, op.Status, op.Files])).toEqual([['ForwardDISET', 'Waiting', []]]);
    const [base, method, args] = ddecode(Buffer.from(String(ops[0]!.Arguments), 'utf8')).value as [unknown[], string, unknown[]];
    // JobStateUpdate is an HTTPS (Tornado) service in the dev server's CS: the TornadoClient's kwargs.
    expect(base).toEqual(['WorkloadManagement/JobStateUpdate', { timeout: 600, useAccessToken: false }]);
    expect(method).toBe('setJobStatusBulk');
    expect(args[0]).toBe(101);
    expect(args[2]).toBe(false);
    const records = Object.values(args[1] as Record<string, Record<string, string>>);
    expect(records.map((r) => [r.Status, r.MinorStatus, r.Source])).toEqual(WRAPPER_HISTORY_DONE.slice(-3));

    // The agent waits for the request's NotBefore (FailoverRequestDelay, 45 min).
    expect(await srv.executeRequests()).toEqual([]);
    srv.state.refuseStatusUpdate = undefined;
    const later = new Date(Date.now() + 46 * 60_000);
    expect(await srv.executeRequests(later)).toEqual([
      { id: stored.id, status: 'Done', operations: [{ type: 'ForwardDISET', outcome: 'Done' }] },
    ]);
    expect(job.status).toBe('Done');
    expect(job.minorStatus).toBe('Execution Complete');
    expect(srv.state.loggingInfo(101).map((r) => [r.status, r.minorStatus, r.source])).toEqual([
      ['Matched', 'Assigned', 'Matcher'],
      ...AGENT_HISTORY,
      ...WRAPPER_HISTORY_DONE,
    ]);
    // Replayed once only: a second pass finds nothing waiting.
    expect(await srv.executeRequests(later)).toEqual([]);
  }, 90_000);

  it('a replay JobStateUpdate refuses again leaves the request waiting, the error on its operation', async () => {
    const dir = tempDir('legacy-forward-diset-again-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: DEMO_JOBS.slice(0, 1), data: DATA });
    const srv = server;
    srv.state.refuseStatusUpdate = (_jobId, updates) =>
      Object.values(updates).some((u) => (u as Record<string, unknown>).Status === 'Done') ? 'Lock wait timeout exceeded' : null;
    await runPilot(legacyPilotArgs(srv, path.join(dir, 'work')));
    expect(srv.data.requests).toHaveLength(1);
    const later = new Date(Date.now() + 46 * 60_000);
    expect(await srv.executeRequests(later)).toEqual([
      { id: srv.data.requests[0]!.id, status: 'Waiting', operations: [{ type: 'ForwardDISET', outcome: 'Lock wait timeout exceeded' }] },
    ]);
    expect(srv.state.jobs.get(101)!.status).not.toBe('Done');
    srv.state.refuseStatusUpdate = undefined;
    expect((await srv.executeRequests(later))[0]!.status).toBe('Done');
    expect(srv.state.jobs.get(101)!.status).toBe('Done');
  }, 90_000);

  it('beside the job’s data failover request: a request of its own, replayed while the data one waits', async () => {
    const dir = tempDir('legacy-forward-diset-data-');
    const serverDir = path.join(dir, 'server');
    server = await startDiracDevServer({
      dir: serverDir,
      jobs: [DEMO_DATA_JOB],
      data: { ...demoDataSetup(serverDir), site: 'DIRAC.Test.local', failoverRequestDelay: 45 },
    });
    const srv = server;
    await demoData(serverDir, srv.data);
    // The output lands on DEMO-SE but the catalog refuses it: the data request gets a RegisterFile.
    srv.data.addFileError = 'Lock wait timeout exceeded';
    // Then JobStateUpdate goes away for the job's last updates.
    let down = false;
    srv.state.refuseStatusUpdate = (_jobId, updates) => {
      if (Object.values(updates).some((u) => (u as Record<string, unknown>).MinorStatus === 'Output Data Uploaded')) down = true;
      return down ? 'MySQL server has gone away' : null;
    };
    const run = await runPilot(legacyPilotArgs(srv, path.join(dir, 'work')));
    expect(run.code, run.stderr).toBe(0);
    // DIRAC's single request holds the data operations then the ForwardDISET; the pilot put the data
    // one when the outputs were uploaded, so the ForwardDISET comes in a second request, same name.
    const requests = srv.data.requests.map((r) => [
      r.parsed.RequestName,
      (r.parsed.Operations as Record<string, unknown>[]).map((op) => op.Type),
    ]);
    expect(requests).toEqual([
      ['legacy-data_job_150', ['RegisterFile']],
      ['legacy-data_job_150', ['ForwardDISET']],
    ]);
    const [, method, args] = ddecode(
      Buffer.from(String((srv.data.requests[1]!.parsed.Operations as Record<string, unknown>[])[0]!.Arguments), 'utf8'),
    ).value as [unknown, string, unknown[]];
    expect(method).toBe('setJobStatusBulk');
    // The final status with pending requests, as DIRAC's JobWrapper ends such a job.
    expect(Object.values(args[1] as Record<string, Record<string, string>>).at(-1)).toMatchObject({
      Status: 'Completed',
      MinorStatus: 'Pending Requests',
    });
    srv.state.refuseStatusUpdate = undefined;
    const later = new Date(Date.now() + 46 * 60_000);
    const executed = await srv.executeRequests(later);
    expect(executed.map((e) => e.status)).toEqual(['Waiting', 'Done']);
    const job = srv.state.jobs.get(150)!;
    expect([job.status, job.minorStatus]).toEqual(['Completed', 'Pending Requests']);
    expect(srv.state.loggingInfo(150).at(-1)).toMatchObject({ status: 'Completed', minorStatus: 'Pending Requests', source: 'JobWrapper' });
  }, 90_000);
});
