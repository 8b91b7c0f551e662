import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoJobs } from '../../src/devserver/demo-jobs.js';
import { DEMO_JOBS, startDiracDevServer, type DiracDevServer } from '../../src/devserver-dirac/index.js';
import {
  devServerPerTest,
  legacyPilotArgs,
  runDevPilot,
  runPilot,
  tempDir,
  AGENT_HISTORY,
  AGENT_SOURCE,
  WRAPPER_HISTORY_DONE,
} from './pilot-process.js';

/*
 * DIRAC v9's JobAgent reports for each job it matched, before its JobWrapper's first report:
 * MatcherServiceTime, then the minor statuses "Job Received by Agent", "Installing Software" and
 * "Submitting To CE", with no status (the job stays Matched) and source `JobAgent@<site>`, the
 * wrapper's then with source `JobWrapper` (DIRAC v9's labels, src/backend/report-source.ts). The
 * histories below are what a site sees for one job, on each dev server, labels pinned exactly.
 */

/** Python's str() of a float: a '.' or an exponent, never a bare integer. */
const PYTHON_FLOAT = /^\d+\.\d+$|^\d(\.\d+)?e-\d\d$/;

describe('the JobAgent’s reports, against the DiracX dev server', () => {
  const start = devServerPerTest();

  it('one job: Matched minor statuses from JobAgent@<site>, sent without a Status, then the wrapper’s sequence from JobWrapper; MatcherServiceTime', async () => {
    const pilot = await start({ jobs: demoJobs().slice(0, 1) });
    const run = await runDevPilot(pilot);
    expect(run.code, run.stderr).toBe(0);
    const [job] = pilot.server.jobs();
    const fromPilot = job!.history.filter((h) => h.source === AGENT_SOURCE || h.source === 'JobWrapper');
    expect(fromPilot.map((h) => [h.status, h.minorStatus, h.source])).toEqual([...AGENT_HISTORY, ...WRAPPER_HISTORY_DONE]);
    // and no record of the pilot's under another label
    expect(job!.history.filter((h) => /^Job(Agent|Wrapper)/.test(h.source))).toHaveLength(fromPilot.length);
    // On the wire: the agent's updates carry no Status (PATCH /api/jobs/status allows that), and the
    // keys the server orders by (microseconds; it records milliseconds) strictly increase, the agent's first.
    const sent = pilot.server.requests
      .filter((r) => r.method === 'PATCH' && r.path === '/api/jobs/status')
      .flatMap((r) => Object.entries((r.body as Record<string, Record<string, Record<string, string>>>)[String(job!.id)] ?? {}));
    const stamps = sent.map(([stamp]) => stamp);
    expect([...new Set(stamps)].sort()).toEqual(stamps);
    expect(sent.slice(0, 3).map(([, u]) => u)).toEqual(AGENT_HISTORY.map(([, MinorStatus]) => ({ MinorStatus, Source: AGENT_SOURCE })));
    expect(job!.parameters.MatcherServiceTime).toMatch(PYTHON_FLOAT);
    expect(pilot.server.violations).toEqual([]);
  });
});

describe('the JobAgent’s reports, against the legacy DIRAC dev server', () => {
  let server: DiracDevServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('one job: the history dirac-wms-job-logging-info shows, the agent’s records logged as "idem" status; MatcherServiceTime', async () => {
    const dir = tempDir('agent-reports-legacy-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: DEMO_JOBS.slice(0, 1) });
    const run = await runPilot(legacyPilotArgs(server, path.join(dir, 'work')));
    expect(run.code, run.stderr).toBe(0);
    const job = server.state.jobs.get(101)!;
    expect(job.status).toBe('Done');
    expect(server.state.loggingInfo(101).map((r) => [r.status, r.minorStatus, r.source])).toEqual([
      ['Matched', 'Assigned', 'Matcher'],
      ...AGENT_HISTORY,
      ...WRAPPER_HISTORY_DONE,
    ]);
    expect(new Set(server.state.loggingInfo(101).map((r) => r.source))).toEqual(
      new Set(['Matcher', 'JobAgent@DIRAC.Test.local', 'JobWrapper']),
    );
    // setJobStatusBulk got them without a Status, as DIRAC's JobReport sends a minor-only update, and in
    // one call: the first two held (sendFlag=False) until Submitting To CE, as DIRAC's JobAgent does.
    expect(job.history.filter((h) => h.source === AGENT_SOURCE).map((h) => h.status)).toEqual([undefined, undefined, undefined]);
    const bulks = server.state.calls.filter((c) => c.method === 'setJobStatusBulk' && c.args[0] === 101);
    expect(Object.values(bulks[0]!.args[1] as Record<string, unknown>)).toEqual(
      AGENT_HISTORY.map(([, MinorStatus]) => ({ MinorStatus, Source: AGENT_SOURCE })),
    );
    expect(job.parameters.MatcherServiceTime).toMatch(PYTHON_FLOAT);
  }, 60_000);

  it('a JobStateUpdate that refuses every minor-only update: warnings only, the job still runs to Done', async () => {
    const dir = tempDir('agent-reports-refused-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: DEMO_JOBS.slice(0, 1) });
    let refused = 0;
    server.state.refuseStatusUpdate = (_jobId, updates) => {
      const minorOnly = Object.values(updates).some((u) => !(u as Record<string, unknown>).Status);
      const fromAgent = Object.values(updates).some((u) => (u as Record<string, unknown>).Source === AGENT_SOURCE);
      if (!minorOnly || !fromAgent) return null;
      refused++;
      return 'Failed to insert logging record: (1205, "Lock wait timeout exceeded")';
    };
    const run = await runPilot(legacyPilotArgs(server, path.join(dir, 'work')));
    expect(run.code, run.stderr).toBe(0);
    // One call carried the three (two held until Submitting To CE); its refusal is warned about for each.
    expect(refused).toBe(1);
    const job = server.state.jobs.get(101)!;
    expect(job.status).toBe('Done');
    expect(server.state.loggingInfo(101).map((r) => `${r.status}/${r.minorStatus}`)).toEqual([
      'Matched/Assigned',
      'Running/Job Initialization',
      'Running/Downloading InputSandbox',
      'Running/Application',
      'Completing/Application Finished Successfully',
      'Completing/Uploading Output Sandbox',
      'Completing/Output Sandbox Uploaded',
      'Done/Execution Complete',
    ]);
    // Each refusal is a warning naming the minor status it lost.
    expect(run.stderr.match(/status update not delivered/g)?.length ?? 0, run.stderr).toBe(3);
    expect(run.stderr).toContain('Submitting To CE');
  }, 60_000);
});
