import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoJobSpecs, startDiracDevServer, type DiracDevServer } from '../../src/devserver-dirac/index.js';
import { legacyPilotArgs, runPilot, tempDir, AGENT_HISTORY, WRAPPER_HISTORY_DONE } from './pilot-process.js';

let server: DiracDevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('pilot run --backend dirac against the legacy DIRAC v9 dev server', () => {
  it('runs the demo job set end to end over DIPS and HTTPS with proxies, in DIRAC’s form', async () => {
    const dir = tempDir('legacy-run-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: demoJobSpecs() });
    const run = await runPilot(legacyPilotArgs(server, path.join(dir, 'work'), ['-P', '4']));
    expect(run.code, run.stderr).toBe(0);
    const jobs = [...server.state.jobs.values()];
    expect(jobs.map((j) => [j.fields.JobName, j.status])).toEqual([
      ['hello-world', 'Done'],
      ['checksum-input', 'Done'],
      ['multi-processor', 'Done'],
      ['exit-code-3', 'Failed'],
      ['sleep-2s', 'Done'],
    ]);
    const hello = jobs[0]!;
    // DIRAC's string timestamps, and v9's JobAgent then JobWrapper records, in order, as DIRAC shows them.
    expect(server.state.loggingInfo(hello.jobId).map((h) => [h.status, h.minorStatus, h.source])).toEqual([
      ['Matched', 'Assigned', 'Matcher'],
      ...AGENT_HISTORY,
      ...WRAPPER_HISTORY_DONE,
    ]);
    for (const h of hello.history) expect(h.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/);
    // The 2 s job was heartbeated, and nothing was sent after a final status.
    expect(jobs[4]!.heartbeats).toBeGreaterThan(0);
    for (const job of jobs) expect(job.heartbeatsAfterFinal).toBe(0);
    expect(jobs.every((j) => j.outputSandbox)).toBe(true);
    // Uploaded as tar.bz2: what DIRAC v9's Python tarfile reads (it has no zstd before 3.14).
    for (const job of jobs) expect(job.outputSandbox).toMatch(/\.tar\.bz2$/);
  });
});
