/**
 * The legacy backend end to end against the legacy dev server: TLS with proxy certificates, the
 * CS fetched over DIPS, matching over DIPS, payload-proxy delegation through a CSR, sandboxes over
 * DIPS FileTransfer and HTTPS, status and heartbeats over HTTPS, pilot status over DIPS.
 */
import { readFile, stat, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, MatchRequest } from '../../src/backend/types.js';
import { createDiracBackend, type DiracBackendOptions } from '../../src/dirac/index.js';
import { jdlList, jdlString, parseJdl } from '../../src/jdl/jdl.js';
import { loadProxyFile } from '../../src/dirac/x509/proxy-file.js';
import { startDiracDevServer, type DiracDevServer } from '../../src/devserver-dirac/index.js';
import { buildTar } from '../../src/devserver/sandbox-archive.js';
import { PilotError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';

let dir: string;
let server: DiracDevServer;
let options: DiracBackendOptions;

const request = (overrides: Partial<MatchRequest['resources']> = {}): MatchRequest => ({
  pilotStamp: 'stamp-1',
  vo: 'gridpp',
  maxJobs: 1,
  node: {},
  resources: {
    Site: 'LCG.Example.org',
    GridCE: 'ce.example.org',
    CEQueue: 'long',
    Platform: 'Linux_x86_64_glibc-2.36',
    Tag: ['MultiProcessor'],
    RequiredTag: [],
    NumberOfProcessors: 1,
    MaxRAM: 2048,
    NumberOfGPUs: 0,
    CPUTime: 86400.7,
    PilotBenchmark: 12.5,
    PilotReference: 'https://ce.example.org:9000/pilot-1',
    ReleaseVersion: '9.0.4',
    VirtualOrganization: 'gridpp',
    ...overrides,
  },
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dirac-backend-'));
  server = await startDiracDevServer({ dir: join(dir, 'server') });
  options = {
    proxyPath: server.proxyPath,
    caDir: server.caDir,
    csUrls: server.csUrls,
    vo: server.vo,
    releaseVersion: server.releaseVersion,
    site: 'LCG.Example.org',
    gridCE: 'ce.example.org',
    ceQueue: 'long',
    workDir: join(dir, 'work'),
    timeoutMs: 15_000,
  };
}, 60_000);

afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('legacy DIRAC backend against the dev server', () => {
  let backend: Backend;

  it('fetches the CS and refuses a pilot version the CS does not accept', async () => {
    const error = await createDiracBackend({ ...options, releaseVersion: '8.0.1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PilotError);
    expect((error as PilotError).exitCode).toBe(ExitCode.CONFIG);
    expect((error as PilotError).message).toMatch(/pilot version 8\.0\.1 is not accepted/);
    backend = await createDiracBackend(options);
    expect(backend.kind).toBe('dirac');
  }, 30_000);

  it('runs a job through match, sandboxes, status, heartbeat and kill', async () => {
    await backend.registerPilot({
      pilotStamp: 'stamp-1',
      vo: 'gridpp',
      gridType: 'HTCondor',
      gridSite: 'LCG.Example.org',
      destinationSite: 'ce',
      pilotReference: 'https://ce.example.org:9000/pilot-1',
    });
    const [job, ...rest] = await backend.match(request());
    expect(rest).toEqual([]);
    expect(job?.jobId).toBe(101);
    const args = server.state.calls.find((c) => c.method === 'requestJob')!.args[0] as Record<string, unknown>;
    expect(args.CPUTime).toBe(86400);
    expect(args.PilotReference).toBe('https://ce.example.org:9000/pilot-1');
    expect(server.state.pilots.get('https://ce.example.org:9000/pilot-1')?.jobs).toEqual([101]);
    const jdl = parseJdl(job!.jdl);
    expect(jdlString(jdl, 'Executable')).toBe('/bin/sh');
    expect(job!.owner).toBe('alice');
    expect(job!.vo).toBe('gridpp');

    // The payload proxy is the owner's, delegated by ProxyManager, and private.
    const proxyInfo = await stat(job!.payloadProxyPath!);
    expect(proxyInfo.mode & 0o777).toBe(0o600);
    expect((await loadProxyFile(job!.payloadProxyPath!)).identityDN).toBe(server.ownerDN);

    await backend.setJobStatus(101, { status: 'Running', minorStatus: 'Job Initialization', source: 'JobWrapper' });
    const dest = join(dir, 'input.tar');
    await backend.downloadSandbox(job!, jdlList(jdl, 'InputSandbox')[0]!, dest);
    expect(await readFile(dest)).toEqual(buildTar({ 'hello.sh': 'echo "hello from a legacy DIRAC job $DIRACJOBID"\n' }));
    await backend.setJobStatus(101, { minorStatus: 'Application', applicationStatus: 'running', source: 'JobWrapper' });
    await backend.setJobMetadata(101, { CPUNormalizationFactor: 12.5, HostName: 'wn01' });

    expect(await backend.heartbeat(new Map([[101, { CPUConsumed: 10, WallClockTime: 12, StandardOutput: 'hello' }]]))).toEqual([]);
    server.state.jobs.get(101)!.killRequested = true;
    expect(await backend.heartbeat(new Map([[101, { CPUConsumed: 11 }]]))).toEqual([{ jobId: 101, command: 'Kill', arguments: null }]);

    const archive = join(dir, 'out.tar.bz2');
    await writeFile(archive, Buffer.from('pretend bz2 tarball'));
    const pfn = await backend.uploadOutputSandbox(job!, { path: archive, sha256: 'unused', size: 19, format: 'tar.bz2' });
    expect(pfn).toMatch(/^SB:ProductionSandboxSE\|\/SandBox\/a\/alice\/.*\.tar\.bz2$/);
    expect(server.state.jobs.get(101)!.outputSandbox).toBe(pfn);

    await backend.setJobStatus(101, { status: 'Done', minorStatus: 'Execution Complete', source: 'JobWrapper' });
    // A finished job gets no heartbeat: DIRAC would flip it back to Running.
    expect(await backend.heartbeat(new Map([[101, { CPUConsumed: 12 }]]))).toEqual([]);
    await backend.flush();

    const devJob = server.state.jobs.get(101)!;
    expect(devJob.status).toBe('Done');
    expect(devJob.heartbeatsAfterFinal).toBe(0);
    expect(devJob.parameters).toEqual({ CPUNormalizationFactor: 12.5, HostName: 'wn01' });
    const stamps = devJob.history.map((h) => h.timestamp);
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);
    expect(stamps[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
  }, 60_000);

  it('returns [] when nothing matches, and reschedules', async () => {
    const [job] = await backend.match(request());
    expect(job?.jobId).toBe(102);
    expect(await backend.match(request())).toEqual([]);
    await backend.reschedule([102]);
    expect(server.state.jobs.get(102)).toMatchObject({ status: 'Waiting', rescheduled: 1 });
    await backend.setPilotStatus('Done', 'no more jobs');
    expect(server.state.pilots.get('https://ce.example.org:9000/pilot-1')).toMatchObject({ status: 'Done', reason: 'no more jobs' });
    await backend.close();
  }, 60_000);

  it('speaks DEncode to a v8-style server and reads its CS over HTTPS', async () => {
    const legacy = await createDiracBackend({ ...options, encoding: 'dencode', csUrls: [server.csUrls[1]!] });
    const [job] = await legacy.match(request());
    expect(job?.jobId).toBe(102);
    await legacy.close();
  }, 60_000);
});

/** A backend connected to a dev server of the test's own (its proxy, CA and CS), working in `work`. */
function backendFor(local: DiracDevServer, work: string): Promise<Backend> {
  return createDiracBackend({ ...options, proxyPath: local.proxyPath, caDir: local.caDir, csUrls: local.csUrls, workDir: join(dir, work) });
}

describe('legacy DIRAC backend when delegation fails', () => {
  it('reschedules the matched job and says why', async () => {
    const local = await startDiracDevServer({
      dir: join(dir, 'server-unknown-owner'),
      jobs: [{ jobId: 7, fields: { Executable: '/bin/true', CPUTime: 10 } }],
    });
    try {
      // An owner the CS Registry does not know: no DN to ask ProxyManager for.
      local.state.jobs.get(7)!.owner = 'mallory';
      const backend = await backendFor(local, 'work2');
      const error = await backend.match(request()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PilotError);
      expect((error as PilotError).message).toMatch(/job 7: owner mallory has no DN in the CS Registry/);
      expect(local.state.jobs.get(7)).toMatchObject({ status: 'Waiting', rescheduled: 1 });
      expect(local.state.jobs.get(7)!.history.at(-1)?.status).toBe('Rescheduled');
      await backend.close();
    } finally {
      await local.close();
    }
  }, 60_000);
});

describe('legacy DIRAC backend and the status columns', () => {
  it('cuts the minor status to JobDB’s 128 characters, where the server refuses longer ones', async () => {
    const local = await startDiracDevServer({
      dir: join(dir, 'server-long'),
      jobs: [{ jobId: 8, fields: { Executable: '/bin/true', CPUTime: 10 } }],
    });
    try {
      const backend = await backendFor(local, 'work3');
      const [job] = await backend.match(request());
      expect(job?.jobId).toBe(8);
      const long = `Input Sandbox Refused: ${'x'.repeat(300)}`;
      await backend.setJobStatus(8, { status: 'Failed', minorStatus: long, applicationStatus: 'y'.repeat(400), source: 'JobWrapper' });
      await backend.flush();
      const devJob = local.state.jobs.get(8)!;
      expect(devJob.status).toBe('Failed');
      expect(devJob.minorStatus).toBe(long.slice(0, 128));
      expect(devJob.applicationStatus).toHaveLength(255);
      await backend.close();
    } finally {
      await local.close();
    }
  }, 60_000);
});

describe('legacy DIRAC backend: updates held for the next one (DIRAC JobReport sendFlag=False)', () => {
  it('sends held records in one setJobStatusBulk with the next update, and a flush sends what is still held', async () => {
    const local = await startDiracDevServer({
      dir: join(dir, 'server-held'),
      jobs: [
        { jobId: 8, fields: { Executable: '/bin/true', CPUTime: 10 } },
        { jobId: 9, fields: { Executable: '/bin/true', CPUTime: 10 } },
      ],
    });
    try {
      const backend = await backendFor(local, 'work4');
      const bulks = (id: number) =>
        local.state.calls
          .filter((c) => c.method === 'setJobStatusBulk' && c.args[0] === id)
          .map((c) => c.args[1] as Record<string, Record<string, string>>);
      const delivered: string[] = [];
      const held = backend
        .setJobStatus(8, { minorStatus: 'Job Received by Agent', source: 'JobAgent@DIRAC.Test.local', sendWithNext: true })
        .then(() => delivered.push('held'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(bulks(8)).toEqual([]);
      await backend.setJobStatus(8, { minorStatus: 'Submitting To CE', source: 'JobAgent@DIRAC.Test.local' });
      await held;
      expect(delivered).toEqual(['held']);
      const [bulk] = bulks(8);
      expect(Object.keys(bulk!)).toEqual([...Object.keys(bulk!)].sort());
      expect(Object.values(bulk!).map((r) => r.MinorStatus)).toEqual(['Job Received by Agent', 'Submitting To CE']);
      // Nothing came after it: the flush sends it on its own.
      const alone = backend.setJobStatus(9, {
        minorStatus: 'Installing Software',
        source: 'JobAgent@DIRAC.Test.local',
        sendWithNext: true,
      });
      await backend.flush();
      await alone;
      expect(bulks(9).map((b) => Object.values(b).map((r) => r.MinorStatus))).toEqual([['Installing Software']]);
      await backend.close();
    } finally {
      await local.close();
    }
  }, 60_000);
});
