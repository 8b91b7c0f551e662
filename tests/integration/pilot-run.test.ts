import { mkdirSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoJobs } from '../../src/devserver/demo-jobs.js';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { devPilotArgs, devServerPerTest, runDevPilot, runPilot, tempDir } from './pilot-process.js';

const start = devServerPerTest();

/** Statuses with consecutive repeats collapsed: the path a job took. */
const statusPath = (history: { status: string }[]) => history.map((h) => h.status).filter((s, i, all) => s !== all[i - 1]);

describe('pilot run against the dev server', () => {
  it('runs every demo job to a final state, records DIRAC’s status sequence, returns output sandboxes, exits 0', async () => {
    const pilot = await start({ jobs: demoJobs() });
    const { server } = pilot;
    const run = await runDevPilot(pilot, ['-P', '4']);
    expect(run.code, run.stderr).toBe(0);

    const jobs = server.jobs();
    expect(jobs).toHaveLength(5);
    const byName = new Map(jobs.map((j) => [String(j.attributes.JobName ?? j.jdl.match(/JobName = "([^"]+)"/)?.[1]), j]));

    for (const job of jobs) expect(['Done', 'Failed']).toContain(job.status);
    const failed = byName.get('exit-code-3')!;
    expect(failed.status).toBe('Failed');
    expect(`${failed.minorStatus} ${failed.applicationStatus}`).toMatch(/exit code 3/);

    const hello = byName.get('hello-world')!;
    expect(statusPath(hello.history)).toEqual(['Received', 'Waiting', 'Matched', 'Running', 'Completing', 'Done']);
    const fromPilot = hello.history.filter((h) => h.source.startsWith('JobAgent@') || h.source.startsWith('JobWrapper'));
    expect(fromPilot.map((h) => [h.status, h.minorStatus])).toEqual([
      // DIRAC's JobAgent: minor statuses only, the job still Matched.
      ['Matched', 'Job Received by Agent'],
      ['Matched', 'Installing Software'],
      ['Matched', 'Submitting To CE'],
      ['Running', 'Job Initialization'],
      ['Running', 'Downloading InputSandbox'],
      ['Running', 'Application'],
      // DIRAC's JobWrapper: the application's verdict, then its outputs.
      ['Completing', 'Application Finished Successfully'],
      ['Completing', 'Uploading Output Sandbox'],
      ['Completing', 'Output Sandbox Uploaded'],
      ['Done', 'Execution Complete'],
    ]);
    // The job's parameters say how it ran and why without a container.
    expect(hello.parameters).toMatchObject({ PayloadRunner: 'direct: configured (--runner direct)', HostName: expect.any(String) });
    // Nothing the pilot sent was rejected by the state machine.
    for (const job of jobs) expect(job.history.filter((h) => h.source.endsWith('(SM)'))).toEqual([]);

    // The output sandbox arrived intact and holds what the job wrote.
    const out = tempDir();
    const archive = path.join(out, 'out.tar.zst');
    writeFileSync(archive, server.outputSandbox(hello.id)!);
    await extractSandbox(archive, path.join(out, 'x'));
    expect(readFileSync(path.join(out, 'x', 'hello.txt'), 'utf8')).toBe('hello world\n');
    const mp = byName.get('multi-processor')!;
    writeFileSync(archive, server.outputSandbox(mp.id)!);
    await extractSandbox(archive, path.join(out, 'mp'));
    expect(readFileSync(path.join(out, 'mp', 'std.out'), 'utf8')).toContain('DIRAC_JOB_PROCESSORS=2');

    // Every request the pilot sent fits DiracX's OpenAPI schema.
    expect(server.violations).toEqual([]);
    // The pilot registered itself and ended Done.
    expect(server.pilots).toHaveLength(1);
  });

  it('prints the match request and asks nothing with --dry-run', async () => {
    const pilot = await start({ jobs: demoJobs() });
    const { server } = pilot;
    const run = await runDevPilot(pilot, ['--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.request).toMatchObject({ vo: 'demo', max_jobs: 1 });
    expect(out.request.resources).toMatchObject({ Site: 'DIRAC.Test.local', PilotBenchmark: 10 });
    // -T 86400 CPU seconds at power 10, less the StopMargin (300 s on each processor), never advertised.
    expect(out.request.resources.CPUTime).toBe((86400 - 300 * out.request.resources.NumberOfProcessors) * 10);
    expect(out.request.node).toHaveProperty('cpu');
    expect(server.requests).toEqual([]);
  });
});

describe('pilot run: VO and remote pilot logs', () => {
  it('takes the VO from its token when --wnVO is not given, and ships its log lines with -z', async () => {
    const { server, credentials, work } = await start({ jobs: demoJobs().slice(0, 1), features: { pilotLogs: true } });
    const args = devPilotArgs(server, credentials, work, ['-z']).filter((a, i, all) => a !== '--wnVO' && all[i - 1] !== '--wnVO');
    const run = await runPilot(args);
    expect(run.code, run.stderr).toBe(0);
    expect(server.pilots[0]).toMatchObject({ vo: 'demo' });
    expect(server.jobs()[0]!.status).toBe('Done');
    const messages = server.pilotLogs.map((l) => l.message);
    expect(messages.some((m) => /job 1 Done/.test(m))).toBe(true);
    // The shipped lines went through the logger's redaction like every other destination.
    expect(JSON.stringify(server.pilotLogs)).not.toContain(JSON.parse(readFileSync(credentials, 'utf8')).refresh_token);
    expect(server.violations).toEqual([]);
  });
});

describe('pilot run: job parameters in DiracX types', () => {
  it('a fractional CPU power (as DB12 measures it) does not cost the job its start parameters: DiracX types it as an integer', async () => {
    const pilot = await start({ jobs: demoJobs().slice(0, 1) });
    const run = await runDevPilot(pilot, ['--cpu-power', '12.5']);
    expect(run.code, run.stderr).toBe(0);
    const job = pilot.server.jobs()[0]!;
    // The dev server refuses a fraction in an integer field with 422, as DiracX's pydantic model
    // does; the whole request (Site, HostName, GridCE, …) used to be lost with it.
    expect(run.stderr).not.toMatch(/job parameters not delivered/);
    expect(job.parameters).toMatchObject({ CPUNormalizationFactor: 13, HostName: expect.any(String), GridCE: 'test-ce.local' });
    expect(job.attributes).toMatchObject({ Site: 'DIRAC.Test.local' });
  });
});

describe('pilot run: black-hole protection', () => {
  it('stops with BLACK_HOLE after three jobs in a row fail for node reasons, and sets the pilot Failed', async () => {
    const missing = 'SB:SandboxSE|/S3/sandboxes/demo/demo_user/demo-user/sha256:' + '0'.repeat(64) + '.tar.zst';
    const pilot = await start({
      jobs: [1, 2, 3, 4].map((n) => ({ fields: { JobName: `bh-${n}`, Executable: '/bin/true', InputSandbox: [missing] } })),
    });
    const { server } = pilot;
    const run = await runDevPilot(pilot, ['-P', '1']);
    expect(run.code, run.stderr).toBe(ExitCode.BLACK_HOLE);
    expect(run.stderr).toMatch(/^pilot: black hole: 3 jobs in a row failed for node reasons/m);
    // A missing input sandbox gives the job back, as DIRAC's JobWrapper does: all of them wait again.
    const jobs = server.jobs();
    expect(jobs.map((j) => j.status)).toEqual(['Waiting', 'Waiting', 'Waiting', 'Waiting']);
    expect(jobs.reduce((n, j) => n + j.rescheduleCounter, 0)).toBe(3);
    for (const job of jobs.filter((j) => j.rescheduleCounter > 0)) {
      expect(job.history.map((h) => h.minorStatus)).toContain('Input Sandbox Download Failed: sandbox not found on the server');
    }
    expect(server.pilots[0]!.status).toBe('Failed');
    expect(String(server.pilots[0]!.metadata.StatusReason)).toMatch(/node reasons/);
  });
});

describe('pilot run: bad input ends with one line and a documented exit code', () => {
  const oneLine = (stderr: string) =>
    stderr
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('pilot: '));

  it('bad pilot.json → CONFIG', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'pilot.json'), '{"CEs": ');
    const run = await runPilot(['run', '-F', path.join(dir, 'pilot.json'), '--dry-run']);
    expect(run.code).toBe(ExitCode.CONFIG);
    expect(oneLine(run.stderr)).toEqual([expect.stringMatching(/^pilot: pilot\.json .*: not valid JSON/)]);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('unknown command in -X → UNKNOWN_COMMAND, before anything runs', async () => {
    const dir = tempDir();
    const run = await runPilot(['run', '-X', 'describe-resources,InstallSomething', '--work-dir', path.join(dir, 'w')]);
    expect(run.code).toBe(ExitCode.UNKNOWN_COMMAND);
    expect(oneLine(run.stderr)).toEqual([expect.stringMatching(/^pilot: unknown pipeline command 'InstallSomething'/)]);
  });

  it('unknown option → USAGE', async () => {
    const run = await runPilot(['run', '--frobnicate']);
    expect(run.code).toBe(ExitCode.USAGE);
    expect(run.stderr.trim()).toBe('pilot: unknown option --frobnicate (see --help)');
  });

  it('unreachable server → SERVER_UNREACHABLE within the pilot lifetime', async () => {
    const dir = tempDir();
    const credentials = path.join(dir, 'credentials.json');
    writeFileSync(
      credentials,
      JSON.stringify({ access_token: 'a.b.c', refresh_token: 'r', expires_on: Math.floor(Date.now() / 1000) + 3600 }),
      { mode: 0o600 },
    );
    // Port 9 (discard) on loopback: nothing listens there.
    const run = await runPilot(devPilotArgs({ url: 'http://127.0.0.1:9' }, credentials, path.join(dir, 'work'), ['--lifetime', '3']), {
      timeoutMs: 60_000,
    });
    expect(run.code).toBe(ExitCode.SERVER_UNREACHABLE);
    expect(run.stderr).toMatch(/^pilot: .*127\.0\.0\.1:9/m);
  });

  it('edge mode without a shared directory → CONFIG; exec --staged on a directory with no staged job → CONFIG', async () => {
    const pilot = await start({ jobs: demoJobs() });
    const { server, dir } = pilot;
    const edge = await runDevPilot(pilot, ['--edge']);
    expect(edge.code).toBe(ExitCode.CONFIG);
    expect(edge.stderr).toMatch(/^pilot: run-edge: edge mode needs --edge-dir/m);
    expect(server.jobs().every((j) => j.status === 'Waiting')).toBe(true); // nothing matched
    const staged = await runPilot(['exec', '--staged', path.join(dir, 'nothing-here')]);
    expect(staged.code).toBe(ExitCode.CONFIG);
    expect(staged.stderr).toMatch(/^pilot: --staged .*: no staged job \(job\.json\) found$/m);
    const bad = await runPilot(['exec']);
    expect(bad.code).toBe(ExitCode.USAGE);
    expect(bad.stderr.trim()).toBe('pilot: exec needs --job FILE or --staged DIR');
  });

  it('no server configured → CONFIG', async () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'w'));
    const run = await runPilot(['run', '-X', 'authenticate', '--work-dir', path.join(dir, 'w')]);
    expect(run.code).toBe(ExitCode.CONFIG);
    expect(run.stderr).toMatch(/no DiracX server configured/);
    expect(readdirSync(path.join(dir, 'w'))).toContain('pilot.log');
  });
});
