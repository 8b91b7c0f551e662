import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoJobSpecs, startDiracDevServer, type DiracDevServer } from '../../src/devserver-dirac/index.js';
import { replaceDiracxBlock } from '../../src/diracx/credentials/proxy-pem.js';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { legacyPilotArgs, runPilot, tempDir, waitFor, AGENT_HISTORY, WRAPPER_HISTORY_DONE } from './pilot-process.js';

let server: DiracDevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function pilotArgs(s: DiracDevServer, dir: string, backend = 'dirac+diracx'): string[] {
  return legacyPilotArgs(s, path.join(dir, 'work'), ['-P', '4'], backend);
}

const services = (s: DiracDevServer): string[] => [...new Set(s.state.calls.map((c) => `${c.service}.${c.method}`))];

describe('DIRAC v9 with DiracX enabled for the VO (--backend dirac+diracx)', () => {
  it('matches through DIRAC’s Matcher and reports to DiracX with the proxy’s DIRACX token: the demo jobs end to end', async () => {
    const dir = tempDir('mixed-run-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: demoJobSpecs(), diracx: true });
    const diracx = server.diracx!;
    const run = await runPilot(pilotArgs(server, dir));
    expect(run.code, run.stderr).toBe(0);

    // The jobs are DiracX's records (the JobDB both share), all final.
    const jobs = diracx.jobs();
    expect(jobs.map((j) => [/JobName = "([^"]+)"/.exec(j.jdl)?.[1], j.status])).toEqual([
      ['hello-world', 'Done'],
      ['checksum-input', 'Done'],
      ['multi-processor', 'Done'],
      ['exit-code-3', 'Failed'],
      ['sleep-2s', 'Done'],
    ]);
    // Matched by DIRAC's Matcher, then reported by the pilot's job agent and job wrapper through DiracX.
    for (const job of jobs) {
      expect(job.history.find((h) => h.status === 'Matched')?.source).toBe('Matcher');
      expect(job.history.filter((h) => h.source.endsWith('(SM)'))).toEqual([]);
    }
    // v9's JobAgent and JobWrapper sequence for one job, as DiracX recorded it.
    expect(jobs[0]!.history.filter((h) => h.source !== 'Heartbeat').map((h) => [h.status, h.minorStatus, h.source])).toEqual([
      ['Received', 'Job accepted', 'JobManager'],
      ['Waiting', 'Pilot Agent Submission', 'JobScheduling'],
      ['Matched', 'Assigned', 'Matcher'],
      ...AGENT_HISTORY,
      ...WRAPPER_HISTORY_DONE,
    ]);
    expect(jobs[0]!.parameters.MatcherServiceTime).toMatch(/^\d+\.\d+$|^\d(\.\d+)?e-\d\d$/);
    expect(jobs[0]!.history.at(-1)).toMatchObject({ status: 'Done', minorStatus: 'Execution Complete', source: 'JobWrapper' });
    expect(jobs[4]!.heartbeats.length).toBeGreaterThan(0);
    expect(jobs[0]!.parameters).toMatchObject({ PilotAgent: server.releaseVersion, JobWrapperPID: expect.any(Number) });

    // Which server got what: JobStateUpdate on DiracX only, with the pilot's User-Agent; the match,
    // the payload proxies, the sandboxes and the pilot's status on DIRAC; no DiracX match or sandbox route.
    const routes = new Set(diracx.requests.map((r) => `${r.method} ${r.path}`));
    expect(routes).toEqual(new Set(['PATCH /api/jobs/status', 'PATCH /api/jobs/heartbeat', 'PATCH /api/jobs/metadata']));
    expect(diracx.violations).toEqual([]);
    for (const request of diracx.requests) expect(request.userAgent).toMatch(/^Dirac Pilot \[.+\]$/);
    const legacyCalls = services(server);
    expect(legacyCalls).toEqual(
      expect.arrayContaining([
        'WorkloadManagement/Matcher.requestJob',
        'WorkloadManagement/SandboxStore.ToClient',
        'WorkloadManagement/PilotManager.setPilotStatus',
      ]),
    );
    expect(legacyCalls.filter((c) => c.includes('JobStateUpdate'))).toEqual([]);

    // Sandboxes through DIRAC's SandboxStore, kept in DiracX's store (UseDiracXBackend) under the
    // owner's namespace, in the format v9 clients read back.
    for (const job of jobs) {
      expect(job.outputSandbox).toMatch(/^SB:SandboxSE\|\/S3\/sandboxes\/gridpp\/gridpp_user\/alice\/sha256:[0-9a-f]{64}\.tar\.bz2$/);
      expect(diracx.outputSandbox(job.id)?.length).toBeGreaterThan(0);
    }
    expect([...server.state.pilots.values()].map((p) => p.status)).toEqual(['Done']);
  });

  it('with --backend dirac the CS decides, as v9’s ClientSelector does; the payload proxy carries its owner’s DiracX token', async () => {
    const dir = tempDir('mixed-cs-');
    // The job prints the payload of the access token in its proxy's DIRACX block.
    const script = [
      'set -e',
      "sed -n '/-----BEGIN DIRACX-----/,/-----END DIRACX-----/p' \"$X509_USER_PROXY\" | sed '1d;$d' | tr -d '\\n' | base64 -d \\",
      '  | sed \'s/.*"access_token":"\\([^"]*\\)".*/\\1/\' | cut -d. -f2',
    ].join('\n');
    const job = {
      jobId: 1,
      fields: {
        Executable: '/bin/sh',
        Arguments: 'token.sh',
        StdOutput: 'std.out',
        StdError: 'std.err',
        OutputSandbox: ['std.out', 'std.err'],
      },
      inputFiles: { 'token.sh': `${script}\n` },
    };
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: [job], diracx: true });
    const run = await runPilot(pilotArgs(server, dir, 'dirac'));
    expect(run.code, run.stderr).toBe(0);
    const [done] = server.diracx!.jobs();
    expect(done?.status, JSON.stringify(done?.history)).toBe('Done');
    expect(server.diracx!.requests.some((r) => r.path === '/api/jobs/status')).toBe(true);
    expect(services(server).filter((c) => c.includes('JobStateUpdate'))).toEqual([]);
    // v9's dumpProxyToFile → addTokenToPEM: ProxyManager.exchangeProxyForToken with the payload proxy.
    expect(services(server)).toContain('Framework/TornadoProxyManager.exchangeProxyForToken');
    // What the job printed, from its output sandbox (tar.bz2 through DIRAC's SandboxStore, kept by DiracX).
    const archive = path.join(dir, 'out.tar.bz2');
    writeFileSync(archive, server.diracx!.outputSandbox(done!.id)!);
    await extractSandbox(archive, path.join(dir, 'out'));
    const printed = readFileSync(path.join(dir, 'out', 'std.out'), 'utf8').trim();
    const claims = JSON.parse(Buffer.from(printed, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims).toMatchObject({ preferred_username: 'alice', dirac_group: 'gridpp_user', vo: 'gridpp' });
  });

  it('refuses to start without a DIRACX block in the proxy: one line, exit 20, no job taken', async () => {
    const dir = tempDir('mixed-noblock-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: demoJobSpecs(), diracx: { diracxBlock: false } });
    const run = await runPilot(pilotArgs(server, dir));
    expect(run.code).toBe(20);
    const lines = run.stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('pilot:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DIRACX/);
    expect(server.diracx!.jobs().every((j) => j.status === 'Waiting')).toBe(true);
    expect(services(server)).not.toContain('WorkloadManagement/Matcher.requestJob');
  });

  it('refuses to start when the DIRACX block has expired and its refresh token is refused: exit 21, no job taken', async () => {
    const dir = tempDir('mixed-expired-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: demoJobSpecs(), diracx: true });
    const stale = server.diracx!.issuePilotCredentials();
    // Tokens of an earlier proxy: the access token past its time, the refresh token revoked since.
    server.diracx!.revokeAll();
    const pem = readFileSync(server.proxyPath, 'utf8');
    writeFileSync(
      server.proxyPath,
      replaceDiracxBlock(pem, { accessToken: stale.access_token, refreshToken: stale.refresh_token, expiresAt: Date.now() - 60_000 }),
      { mode: 0o600 },
    );
    const run = await runPilot(pilotArgs(server, dir));
    expect(run.code, run.stderr).toBe(21);
    expect(
      run.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('pilot:')),
    ).toHaveLength(1);
    expect(server.diracx!.jobs().every((j) => j.status === 'Waiting')).toBe(true);
    expect(services(server)).not.toContain('WorkloadManagement/Matcher.requestJob');
  });

  it('a DiracX token revoked after the start: the matched job is handed back through DIRAC’s JobManager, the pilot stops (exit 21)', async () => {
    const dir = tempDir('mixed-revoked-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: demoJobSpecs().slice(0, 2), diracx: true });
    // The block's access token is still within its lifetime, so the pilot starts and matches; DiracX
    // then refuses it, and the refresh token too.
    server.diracx!.revokeAll();
    const run = await runPilot(pilotArgs(server, dir));
    expect(run.code, run.stderr).toBe(21);
    expect(
      run.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('pilot:')),
    ).toHaveLength(1);
    const jobs = server.diracx!.jobs();
    // Nothing left Matched or Running: the one job taken is back in the queue, the other untouched.
    if (jobs.some((j) => j.status !== 'Waiting'))
      console.log(
        readFileSync(path.join(dir, 'work', 'pilot.log'), 'utf8')
          .split('\n')
          .filter((l) => /"level":[45]0|job|resched/i.test(l))
          .join('\n'),
      );
    expect(jobs.map((j) => j.status)).toEqual(['Waiting', 'Waiting']);
    // Each job the Matcher handed out (one, or both when the slot took both at once) came back once.
    const taken = jobs.filter((j) => j.rescheduleCounter > 0).length;
    expect(taken).toBeGreaterThan(0);
    expect(jobs.every((j) => j.rescheduleCounter <= 1)).toBe(true);
    expect(server.state.calls.filter((c) => c.method === 'requestJob')).toHaveLength(taken);
    expect(services(server)).toContain('WorkloadManagement/JobManager.rescheduleJob');
  });

  it('a payload proxy DIRAC cannot delegate: the Rescheduled status goes to DiracX, as v9’s JobAgent sends it, then JobManager', async () => {
    const dir = tempDir('mixed-delegation-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: [demoJobSpecs()[0]!], diracx: true });
    // An owner the CS Registry does not know: no DN to ask ProxyManager for.
    server.diracx!.sharedJobDb().job(1)!.owner = 'mallory';
    const run = await runPilot(pilotArgs(server, dir));
    expect(run.code).toBe(3);
    const [job] = server.diracx!.jobs();
    expect(job).toMatchObject({ status: 'Waiting', rescheduleCounter: 1 });
    const rescheduled = job!.history.find((h) => h.status === 'Rescheduled');
    // From the job's JobAgent report: JobAgent@<site>, the site the pilot runs as (-n).
    expect(rescheduled).toMatchObject({
      source: 'JobAgent@DIRAC.Test.local',
      applicationStatus: expect.stringMatching(/^Payload proxy unavailable: .*mallory/),
    });
    expect(services(server).filter((c) => c.includes('JobStateUpdate'))).toEqual([]);
    expect(services(server)).toContain('WorkloadManagement/JobManager.rescheduleJob');
  });

  it('a job killed through DiracX gets its Kill from DiracX’s heartbeat reply and stays Killed (DiracX keeps the state machine)', async () => {
    const dir = tempDir('mixed-kill-');
    const job = {
      jobId: 1,
      fields: { JobName: 'long', Executable: '/bin/sh', Arguments: 'long.sh', StdOutput: 'std.out', StdError: 'std.err' },
      inputFiles: { 'long.sh': 'echo started\nsleep 120\n' },
    };
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: [job], diracx: true });
    const diracx = server.diracx!;
    const pilot = runPilot(pilotArgs(server, dir));
    await waitFor('the job to run its application', () => diracx.job(1)?.minorStatus === 'Application');
    diracx.killJob(1);
    const run = await pilot;
    expect(run.code, run.stderr).toBe(0);
    const killed = diracx.job(1)!;
    expect(killed.status).toBe('Killed');
    // No status after the Kill was turned into anything else, and DIRAC's heartbeat never ran.
    const after = killed.history.slice(killed.history.findIndex((h) => h.status === 'Killed'));
    expect(after.every((h) => h.status === 'Killed')).toBe(true);
    // The pilot did not try to end it Failed itself (legacy DIRAC's case): DiracX would refuse that as (SM).
    expect(after.filter((h) => h.source.endsWith('(SM)'))).toEqual([]);
    expect(services(server).filter((c) => c.includes('JobStateUpdate'))).toEqual([]);
    expect(diracx.requests.some((r) => r.path === '/api/jobs/heartbeat')).toBe(true);
  });
});
