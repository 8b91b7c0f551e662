/**
 * What the real DIRAC v9 services showed (issue 18 §6), each as a behaviour of the legacy dev
 * server and a run of the built pilot against it: the payload proxy asked as DIRAC's JobAgent asks
 * it and handed to the job, a Kill the heartbeat undoes, executables from the input sandbox, the
 * job parameters and status order of DIRAC's JobWrapper, a server refusing proxies at the TLS
 * layer, the pilot status in PilotAgentsDB, and the SIGTERM reschedule with its reason.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startDiracDevServer, type DiracDevServer, type DevJobSpec } from '../../src/devserver-dirac/index.js';
import { legacyPilotArgs, runPilot, tempDir, AGENT_HISTORY, WRAPPER_HISTORY_DONE } from './pilot-process.js';

let server: DiracDevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function pilotArgs(s: DiracDevServer, dir: string, extra: string[] = []): string[] {
  return legacyPilotArgs(s, path.join(dir, 'work'), ['-P', '2', ...extra]);
}

// A script that is not executable in its sandbox (no .sh: packed 0644) and checks that it holds
// its owner's proxy, not the pilot's: DIRAC's JobWrapper makes it 0775, and a payload needs X509_USER_PROXY.
const CHECK_PROXY = `#!/bin/sh
echo "X509_USER_PROXY=\${X509_USER_PROXY:-unset}"
[ -r "$X509_USER_PROXY" ] || exit 3
subject=$(openssl x509 -noout -subject -in "$X509_USER_PROXY") || exit 4
echo "$subject"
case $subject in *"Alice Example"*) exit 0 ;; *) exit 5 ;; esac
`;

const jobs = (marker: string): DevJobSpec[] => [
  {
    jobId: 1,
    fields: {
      Executable: 'check-proxy',
      JobName: 'proxy',
      JobType: 'User',
      JobGroup: 'analysis-7',
      CPUTime: 100,
      StdOutput: 'std.out',
      StdError: 'std.err',
      OutputSandbox: ['std.out', 'missing.root'],
    },
    inputFiles: { 'check-proxy': CHECK_PROXY },
  },
  {
    jobId: 2,
    fields: {
      Executable: '/bin/sh',
      Arguments: `fail.sh ${marker}`,
      JobName: 'fails',
      CPUTime: 100,
      StdOutput: 'std.out',
      StdError: 'std.err',
      OutputSandbox: ['std.out'],
    },
    inputFiles: { 'fail.sh': 'touch "$1"\nexit 3\n' },
  },
];

describe('legacy DIRAC divergences found with the real v9 services', () => {
  it('asks getProxy for a group without VOMS role, hands the job its own proxy, chmods its executable, and reports as DIRAC’s JobWrapper', async () => {
    const dir = tempDir('legacy-div-');
    const marker = path.join(dir, 'ran');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: jobs(marker) });
    const run = await runPilot(pilotArgs(server, dir, ['-M', '2', '--pilotUUID', 'div-stamp-1']), {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    expect(run.code, run.stderr).toBe(0);
    const proxyCalls = server.state.calls.filter((c) => c.service.endsWith('ProxyManager')).map((c) => c.method);
    expect(proxyCalls).toEqual(['getProxy', 'getProxy']);

    const proxyJob = server.state.jobs.get(1)!;
    expect(proxyJob.status, JSON.stringify(proxyJob.history)).toBe('Done');
    expect(server.state.loggingInfo(1).map((h) => [h.status, h.minorStatus, h.source])).toEqual([
      ['Matched', 'Assigned', 'Matcher'],
      ...AGENT_HISTORY,
      ...WRAPPER_HISTORY_DONE,
    ]);
    const p = proxyJob.parameters;
    expect(p.PilotAgent).toBe(server.releaseVersion);
    expect(p).toMatchObject({ JobType: 'User', JobGroup: 'analysis-7', OutputSandboxMissingFiles: 'missing.root' });
    for (const name of ['JobWrapperPID', 'PayloadPID', 'TotalCPUTime(s)', 'NormCPUTime(s)']) expect(typeof p[name], name).toBe('number');
    expect(p.PayloadPID).not.toBe(p.JobWrapperPID);

    const failed = server.state.jobs.get(2)!;
    expect(existsSync(marker)).toBe(true);
    expect(failed).toMatchObject({
      status: 'Failed',
      minorStatus: 'Application Finished With Errors',
      applicationStatus: 'Failed (exit code 3)',
    });
    expect(failed.history.map((h) => [h.status, h.minorStatus]).slice(-2)).toEqual([
      ['Completing', 'Application Finished With Errors'],
      ['Failed', 'Application Finished With Errors'],
    ]);
    // The pilot added its own reference (no SiteDirector did) and ended Done.
    expect(server.state.pilots.get('div-stamp-1')).toMatchObject({ addedBy: 'addPilotReferences', status: 'Done' });
  }, 120_000);

  it('asks getVOMSProxy for a group with a VOMSRole, and leaves a SiteDirector-registered pilot as it is', async () => {
    const dir = tempDir('legacy-div-voms-');
    server = await startDiracDevServer({
      dir: path.join(dir, 'server'),
      jobs: [jobs('/nonexistent/x')[0]!],
      ownerVomsRole: '/gridpp/Role=analysis',
    });
    server.state.addPilot('div-stamp-2', 'div-stamp-2');
    const run = await runPilot(pilotArgs(server, dir, ['-M', '1', '--pilotUUID', 'div-stamp-2']));
    expect(run.code, run.stderr).toBe(0);
    const call = server.state.calls.find((c) => c.service.endsWith('ProxyManager'))!;
    expect(call.method).toBe('getVOMSProxy');
    expect(call.args[4]).toBe('/gridpp/Role=analysis');
    expect(server.state.jobs.get(1)!.status).toBe('Done');
    expect(server.state.calls.some((c) => c.method === 'addPilotReferences')).toBe(false);
    expect(server.state.pilots.get('div-stamp-2')).toMatchObject({ addedBy: 'SiteDirector', status: 'Done' });
  }, 120_000);

  it('ends a killed job Failed / Received Kill signal, since the heartbeat set it Running again', async () => {
    const dir = tempDir('legacy-div-kill-');
    server = await startDiracDevServer({
      dir: path.join(dir, 'server'),
      jobs: [
        {
          jobId: 5,
          fields: {
            Executable: '/bin/sleep',
            Arguments: '60',
            JobName: 'sleeper',
            CPUTime: 100,
            StdOutput: 'std.out',
            StdError: 'std.err',
            OutputSandbox: ['std.out'],
          },
        },
      ],
    });
    const s = server;
    const running = runPilot(pilotArgs(s, dir, ['-M', '1']), { timeoutMs: 90_000 });
    // Once the payload runs (its pid is a job parameter), not merely announced.
    for (let i = 0; i < 600 && s.state.jobs.get(5)!.parameters.PayloadPID === undefined; i++) await sleep(100);
    s.state.killJob(5);
    const run = await running;
    expect(run.code, run.stderr).toBe(0);
    const job = s.state.jobs.get(5)!;
    expect(job.killSent).toBe(true);
    expect(job).toMatchObject({ status: 'Failed', minorStatus: 'Received Kill signal' });
  }, 120_000);

  it('stops with exit 22 when the HTTPS services refuse the proxy at the TLS layer: no payload, the job handed back, the pilot Failed', async () => {
    const dir = tempDir('legacy-div-tls-');
    const marker = path.join(dir, 'ran');
    const failing = jobs(marker)[1]!;
    server = await startDiracDevServer({
      dir: path.join(dir, 'server'),
      jobs: [failing, { ...failing, jobId: 3 }, { ...failing, jobId: 4 }],
      httpsRefusesProxies: true,
    });
    const run = await runPilot(pilotArgs(server, dir, ['--pilotUUID', 'div-stamp-3']), { timeoutMs: 60_000 });
    expect(run.code, run.stderr).toBe(22);
    expect(run.stderr).toMatch(/refused|TLS/);
    expect(existsSync(marker)).toBe(false);
    // The owner's proxy came (ProxyManager on DIPS); the first status update was refused, so the payload never started.
    expect(server.state.calls.map((c) => c.method)).toContain('getProxy');
    expect(server.state.jobs.get(2)).toMatchObject({ status: 'Waiting', rescheduled: 1 });
    // Whatever was matched before the refusal was known (a free processor asks at once) went back too: none stays Matched.
    for (const job of server.state.jobs.values()) expect(job.status, `job ${job.jobId}`).toBe('Waiting');
    expect(server.state.calls.filter((c) => c.method === 'requestJob').length).toBeLessThanOrEqual(2);
    expect(server.state.pilots.get('div-stamp-3')?.status).toBe('Failed');
    expect(server.state.pilots.get('div-stamp-3')?.reason).toMatch(/TLS/);
  }, 90_000);

  it('reschedules on SIGTERM with the reason, and records the pilot Aborted, not Done "MaxCycles 1 reached"', async () => {
    const dir = tempDir('legacy-div-term-');
    server = await startDiracDevServer({
      dir: path.join(dir, 'server'),
      jobs: [
        {
          jobId: 9,
          fields: {
            Executable: '/bin/sleep',
            Arguments: '60',
            JobName: 'sleeper',
            CPUTime: 100,
            StdOutput: 'std.out',
            StdError: 'std.err',
          },
        },
      ],
    });
    const s = server;
    let pid = 0;
    const running = runPilot(pilotArgs(s, dir, ['-M', '1', '--pilotUUID', 'div-stamp-4']), {
      timeoutMs: 90_000,
      onSpawn: (p) => (pid = p),
    });
    for (let i = 0; i < 600 && s.state.jobs.get(9)!.parameters.PayloadPID === undefined; i++) await sleep(100);
    expect(s.state.jobs.get(9)!.parameters.PayloadPID).toBeDefined();
    process.kill(pid, 'SIGTERM');
    const run = await running;
    expect(run.code).toBe(143);
    const job = s.state.jobs.get(9)!;
    expect({ status: job.status, rescheduled: job.rescheduled }, JSON.stringify(job.history)).toEqual({
      status: 'Waiting',
      rescheduled: 1,
    });
    expect(job.history.some((h) => h.applicationStatus === 'Pilot stopped: received SIGTERM')).toBe(true);
    const pilot = s.state.pilots.get('div-stamp-4')!;
    expect(pilot.status).toBe('Aborted');
    expect(pilot.reason).toMatch(/SIGTERM: 1 job\(s\) rescheduled/);
  }, 120_000);
});
