/**
 * Jobs with InputData and OutputData through the whole legacy path: the DIRAC backend matches
 * them from the legacy dev server (FileCatalog and ReqManager over DIPS), the job wrapper
 * resolves and downloads their input from a real XRootD SE (or hands out TURLs), runs them, and
 * uploads their outputs back, to a failover XRootD SE with a request in ReqManager when the
 * job's SE refuses. The job's history on the server is checked against DIRAC's sequence.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, MatchRequest } from '../../src/backend/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { adler32, diracAdlerHex } from '../../src/data/adler32.js';
import { createDiracBackend } from '../../src/dirac/index.js';
import { startDiracDevServer, type DevJobSpec, type DiracDevServer } from '../../src/devserver-dirac/index.js';
import { describeMatchedJob } from '../../src/payload/job-description.js';
import { runJob, type JobOutcome } from '../../src/payload/job-wrapper.js';
import { SlotPool, isSlot } from '../../src/payload/slots.js';
import { writeTestPki } from '../dirac/pki.js';
import { QUIET_LIMITS } from '../payload/helpers.js';
import { startXrootdSE, xrootdMissing, type XrootdSE } from './xrootd.js';

const missing = xrootdMissing();
if (missing) console.log(`skipping the InputData/OutputData job tests: ${missing}`);

const SITE = 'LCG.Example.org';
const input = randomBytes(2 * 1024 * 1024 + 7);
const INPUT_LFN = '/gridpp/data/run1/input.bin';
const BAD_LFN = '/gridpp/data/run1/corrupt.bin';
const HUGE_LFN = '/gridpp/data/run1/huge.bin';
const OUTPUT_GUID = '5E1D0C0A-7B3F-4A2E-9C1D-0F2E3D4C5B6A';

const script = (body: string): Record<string, string> => ({ 'job.sh': `set -e\n${body}\n` });
/** JobWrapper/OutputSandboxLimit in the CS, and the sandbox store's own MaxSandboxSizeMiB, below it. */
const SANDBOX_LIMIT = 512 * 1024;
const STORE_MAX_MIB = 0.125;
/** A payload leaving `kib` KiB of incompressible output in big.bin, then exiting with `code`. */
const bigOutput = (kib: number, code = 0): Record<string, string> =>
  script(`head -c ${kib * 1024} /dev/urandom > big.bin; echo done; exit ${code}`);
const sandboxJob = (jobId: number, kib: number, extra: Record<string, string | number | string[]> = {}, code = 0): DevJobSpec => ({
  jobId,
  fields: {
    Executable: '/bin/sh',
    Arguments: 'job.sh',
    CPUTime: 600,
    StdOutput: 'std.out',
    StdError: 'std.err',
    OutputSandbox: ['big.bin', 'std.out'],
    ...extra,
  },
  inputFiles: bigOutput(kib, code),
});
const JOBS: DevJobSpec[] = [
  {
    jobId: 201,
    fields: {
      Executable: '/bin/sh',
      Arguments: 'job.sh',
      JobName: 'download job',
      CPUTime: 600,
      StdOutput: 'std.out',
      StdError: 'std.err',
      InputData: [`LFN:${INPUT_LFN}`],
      InputDataPolicy: 'DIRAC.WorkloadManagementSystem.Client.DownloadInputData',
      OutputData: ['result.bin'],
      OutputSE: 'SE-DISK',
    },
    // The payload names its output's GUID in a POOL catalog of its own, as Gaudi applications do.
    inputFiles: script(`test -f input.bin; grep -q "input.bin" pool_xml_catalog.xml; cp input.bin result.bin
printf '<POOLFILECATALOG><File ID="${OUTPUT_GUID}"><physical><pfn filetype="ROOT" name="result.bin"/></physical></File></POOLFILECATALOG>' > outputs.xml`),
  },
  {
    jobId: 202,
    fields: {
      Executable: '/bin/sh',
      Arguments: 'job.sh',
      CPUTime: 600,
      StdOutput: 'std.out',
      StdError: 'std.err',
      InputData: [`LFN:${INPUT_LFN}`],
      InputDataPolicy: 'InputDataByProtocol',
    },
    // The payload gets no copy, only the TURL in the POOL catalog.
    inputFiles: script('test ! -e input.bin; grep -q "root://127.0.0.1:[0-9]*//gridpp/data/run1/input.bin" pool_xml_catalog.xml'),
  },
  {
    jobId: 203,
    fields: { Executable: '/bin/true', CPUTime: 600, InputData: [`LFN:${BAD_LFN}`], InputDataPolicy: 'DownloadInputData' },
  },
  {
    jobId: 204,
    fields: {
      Executable: '/bin/sh',
      Arguments: 'job.sh',
      JobName: 'failover (1)',
      CPUTime: 600,
      StdOutput: 'std.out',
      StdError: 'std.err',
      OutputData: ['out-*.txt'],
      OutputSE: 'SE-DOWN',
      OutputPath: '/failover-test',
    },
    inputFiles: script('echo one > out-1.txt'),
  },
  {
    jobId: 205,
    fields: { Executable: '/bin/true', CPUTime: 600, InputData: [HUGE_LFN, '/gridpp/data/run1/not-registered.bin'] },
  },
  {
    jobId: 206,
    fields: { Executable: '/bin/true', CPUTime: 600, InputData: [HUGE_LFN], InputDataPolicy: 'DownloadInputData' },
  },
  // Output sandboxes that do not go to the sandbox store (DIRAC's OutputSandboxLFN path).
  sandboxJob(207, 600),
  sandboxJob(208, 600, { OutputSE: 'SE-DOWN', JobName: 'big sandbox' }),
  sandboxJob(209, 200),
  sandboxJob(210, 600, {}, 3),
];

let work: string;
let server: DiracDevServer;
let se: XrootdSE;
let failover: XrootdSE;
let backend: Backend;

const request: MatchRequest = {
  pilotStamp: 'stamp-data',
  vo: 'gridpp',
  maxJobs: 1,
  node: {},
  resources: {
    Site: SITE,
    GridCE: 'ce.example.org',
    CEQueue: 'long',
    Platform: 'Linux_x86_64_glibc-2.36',
    Tag: [],
    RequiredTag: [],
    NumberOfProcessors: 1,
    MaxRAM: 2048,
    NumberOfGPUs: 0,
    CPUTime: 86400,
    PilotBenchmark: 10,
    PilotReference: 'pilot-data',
    ReleaseVersion: '9.0.4',
    VirtualOrganization: 'gridpp',
  },
};

async function runNext(expectedId: number): Promise<JobOutcome> {
  // Rescheduled jobs go back to Waiting: only the job under test may be matched now.
  for (const j of server.state.jobs.values()) if (j.status === 'Waiting' && j.jobId < expectedId) j.status = 'Held';
  const [job] = await backend.match(request);
  expect(job?.jobId).toBe(expectedId);
  const description = describeMatchedJob(job!);
  const slot = new SlotPool({ processors: 1, memoryMB: 2000, gpus: [] }).acquire(description);
  if (!isSlot(slot)) throw new Error(slot.reason);
  const outcome = await runJob({
    job: job!,
    description,
    slot,
    backend,
    workDir: join(work, 'pilot'),
    site: SITE,
    runner: { kind: 'direct', reason: 'test', secretFiles: { files: [] } },
    limits: QUIET_LIMITS,
    pilotEnv: { PATH: process.env.PATH },
    logger: silentLogger(),
    native: null,
    shutdown: new AbortController().signal,
  });
  await backend.flush();
  return outcome;
}

const minors = (id: number): string[] => server.state.jobs.get(id)!.history.map((h) => `${h.status ?? ''}/${h.minorStatus ?? ''}`);

describe.skipIf(missing !== null)('jobs with InputData and OutputData against XRootD', () => {
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'job-data-'));
    const pki = await writeTestPki(join(work, 'xpki'));
    se = await startXrootdSE({ name: 'disk', host: pki.host, ca: pki.ca });
    failover = await startXrootdSE({ name: 'failover', host: pki.host, ca: pki.ca });
    // SE-DOWN points at a port where nothing listens: an SE that refuses every connection.
    const down = await startXrootdSE({ name: 'down', host: pki.host, ca: pki.ca });
    const downPort = down.rootPort;
    await down.stop();
    server = await startDiracDevServer({
      dir: join(work, 'server'),
      jobs: JOBS,
      data: {
        site: SITE,
        storageElements: [
          {
            name: 'SE-DISK',
            endpoints: [
              { section: 'GFAL2_XROOT', protocol: 'root', host: '127.0.0.1', port: se.rootPort, path: '/' },
              { section: 'GFAL2_HTTPS', protocol: 'https', host: 'localhost', port: se.httpsPort, path: '/' },
            ],
          },
          { name: 'SE-FAILOVER', endpoints: [{ section: 'XRD', protocol: 'root', host: '127.0.0.1', port: failover.rootPort, path: '/' }] },
          { name: 'SE-DOWN', endpoints: [{ section: 'XRD', protocol: 'root', host: '127.0.0.1', port: downPort, path: '/' }] },
        ],
        siteSEs: ['SE-DISK'],
        defaultOutputSEs: ['SE-DISK'],
        failoverSEs: ['SE-FAILOVER'],
        inputDataPolicy: ['DIRAC.WorkloadManagementSystem.Client.DownloadInputData'],
        outputSandboxLimit: SANDBOX_LIMIT,
      },
      sandboxMaxMiB: STORE_MAX_MIB,
    });
    // The XRootD SEs' CA joins the trust anchors the pilot loads.
    await writeFile(join(server.caDir, 'xrootd-test-ca.pem'), pki.ca.certPem);
    const register = (lfn: string, size: number, content: Buffer) =>
      server.data.files.set(lfn, {
        size,
        checksum: diracAdlerHex(adler32(content)),
        checksumType: 'AD',
        guid: randomBytes(16)
          .toString('hex')
          .toUpperCase()
          .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'),
        replicas: new Map([['SE-DISK', '']]),
      });
    await se.put(INPUT_LFN, input);
    register(INPUT_LFN, input.length, input);
    await se.put(BAD_LFN, input);
    register(BAD_LFN, input.length, input);
    await se.corrupt(BAD_LFN, 12345);
    register(HUGE_LFN, 10 ** 15, input);
    backend = await createDiracBackend({
      proxyPath: server.proxyPath,
      caDir: server.caDir,
      csUrls: server.csUrls,
      vo: server.vo,
      releaseVersion: server.releaseVersion,
      site: SITE,
      gridCE: 'ce.example.org',
      ceQueue: 'long',
      workDir: join(work, 'proxies'),
      timeoutMs: 15_000,
    });
  }, 120_000);

  afterAll(async () => {
    await backend?.close();
    await server?.close();
    await se?.stop();
    await failover?.stop();
    await rm(work, { recursive: true, force: true });
  });

  it('DownloadInputData: the input arrives checked, the output goes to the job SE and into the catalog', async () => {
    const outcome = await runNext(201);
    expect(outcome).toMatchObject({ status: 'Done', minorStatus: 'Execution Complete' });
    const history = minors(201);
    const order = [
      'Running/Job Initialization',
      '/Input Data Resolution',
      '/Application',
      'Completing/Uploading Output Data',
      'Completing/Output Data Uploaded',
      'Done/Execution Complete',
    ];
    expect(history.filter((h) => order.includes(h))).toEqual(order);
    const lfn = '/gridpp/user/a/alice/0/201/result.bin';
    expect((await se.read(lfn)).equals(input)).toBe(true);
    const entry = server.data.files.get(lfn)!;
    expect(entry).toMatchObject({ size: input.length, checksum: diracAdlerHex(adler32(input)) });
    expect([...entry.replicas.keys()]).toEqual(['SE-DISK']);
    expect(entry.guid).toBe(OUTPUT_GUID);
    const params = server.state.jobs.get(201)!.parameters;
    expect(params.UploadedOutputData).toBe(lfn);
    expect(String(params.DownloadInputData)).toMatch(/Successfully downloaded 1 LFN\(s\)/);
  });

  it('InputDataByProtocol: the payload gets the TURL in pool_xml_catalog.xml, no copy', async () => {
    const outcome = await runNext(202);
    expect(outcome).toMatchObject({ status: 'Done', minorStatus: 'Execution Complete' });
  });

  it('a replica with one byte changed is caught by its checksum and the job is rescheduled, as DIRAC does', async () => {
    const outcome = await runNext(203);
    expect(outcome).toMatchObject({ status: 'Rescheduled', minorStatus: 'Input Data Resolution', failure: 'job' });
    const job = server.state.jobs.get(203)!;
    expect(job.rescheduled).toBe(1);
    expect(minors(203)).toContain('Rescheduled/Input Data Resolution');
    expect(job.history.at(-1)?.applicationStatus).toBe('Failed Input Data Resolution ');
    expect(String(job.parameters.DownloadInputData)).toMatch(/Failed to download 1 LFN\(s\):\n\/gridpp\/data\/run1\/corrupt.bin/);
  });

  it('an OutputSE that refuses: failover SE, a failover request in ReqManager, Completed with Pending Requests', async () => {
    const outcome = await runNext(204);
    expect(outcome).toMatchObject({ status: 'Completed', minorStatus: 'Pending Requests' });
    expect(minors(204).slice(-3)).toEqual([
      'Completing/Uploading Output Data',
      'Completing/Output Data Uploaded',
      'Completed/Pending Requests',
    ]);
    const lfn = '/gridpp/user/a/alice/failover-test/out-1.txt';
    expect((await failover.read(lfn)).toString()).toBe('one\n');
    expect([...server.data.files.get(lfn)!.replicas.keys()]).toEqual(['SE-FAILOVER']);
    expect(server.data.requests).toHaveLength(1);
    const stored = server.data.requests[0]!.parsed as {
      RequestName: string;
      Owner: string;
      JobID: number;
      Operations: { Type: string; TargetSE: string; SourceSE: string | null; Files: { LFN: string }[] }[];
    };
    expect(stored).toMatchObject({ RequestName: 'failover1_job_204', Owner: 'alice', JobID: 204 });
    // The pilot names the failover SE as source; ReqManager drops a failover SourceSE when it stores the request.
    expect(server.data.requests[0]!.json).toContain('"SourceSE": "SE-FAILOVER"');
    expect(stored.Operations.map((op) => [op.Type, op.TargetSE, op.SourceSE, op.Files[0]!.LFN])).toEqual([
      ['ReplicateAndRegister', 'SE-DOWN', '', lfn],
      ['RemoveReplica', 'SE-FAILOVER', null, lfn],
    ]);
    expect(String(server.state.jobs.get(204)!.parameters.PendingRequest)).toMatch(
      /^Name:failover1_job_204\nReplicateAndRegister:ReplicateAndRegister:Waiting:0:SE-DOWN:/,
    );
  });

  it('an LFN the catalog does not know: rescheduled, MissingLFNs names it', async () => {
    const outcome = await runNext(205);
    expect(outcome).toMatchObject({ status: 'Rescheduled', minorStatus: 'Input Data Resolution' });
    expect(String(server.state.jobs.get(205)!.parameters.MissingLFNs)).toBe(
      'LFN:/gridpp/data/run1/not-registered.bin Problem: No such file or directory',
    );
  });

  it('input that cannot fit in the job’s disk share is refused before any download', async () => {
    const outcome = await runNext(206);
    expect(outcome).toMatchObject({ status: 'Rescheduled', minorStatus: 'Input Data Resolution' });
  });

  /** The tarball on `store` at the job's OutputSandboxLFN: checked to hold the payload's big.bin and std.out. */
  async function sandboxOnStorage(jobId: number, store: XrootdSE, dir = `/gridpp/user/a/alice/0/${jobId}`): Promise<string> {
    const params = server.state.jobs.get(jobId)!.parameters;
    const lfn = String(params.OutputSandboxLFN);
    expect(lfn).toMatch(new RegExp(`^${dir}/LDSB\\.[a-z0-9_]{8}$`));
    expect(params.OutputSandbox).toBe('Sandbox uploaded to grid storage');
    const unpacked = join(work, `unpacked-${jobId}`);
    await mkdir(unpacked);
    await writeFile(join(unpacked, 'sandbox.tar.bz2'), await store.read(lfn));
    execFileSync('tar', ['-xjf', 'sandbox.tar.bz2'], { cwd: unpacked });
    expect((await readFile(join(unpacked, 'std.out'), 'utf8')).trim()).toBe('done');
    expect((await readFile(join(unpacked, 'big.bin'))).length).toBeGreaterThan(100 * 1024);
    // Not in the sandbox store.
    expect(server.state.jobs.get(jobId)!.outputSandbox).toBeUndefined();
    return lfn;
  }

  it('an output sandbox over JobWrapper/OutputSandboxLimit goes to the SE as DIRAC does: registered, OutputSandboxLFN set, Done', async () => {
    const outcome = await runNext(207);
    expect(outcome).toMatchObject({ status: 'Done', minorStatus: 'Execution Complete' });
    const history = minors(207);
    expect(history.slice(-4)).toEqual([
      'Completing/Uploading Output Sandbox',
      'Completing/Uploading Output Data',
      'Completing/Output Data Uploaded',
      'Done/Execution Complete',
    ]);
    expect(history).not.toContain('Completing/Output Sandbox Uploaded');
    const lfn = await sandboxOnStorage(207, se);
    const entry = server.data.files.get(lfn)!;
    // No POOL catalog names it: makeGuid's MD5 form.
    expect(entry.guid).toMatch(/^[0-9A-F]{8}(-[0-9A-F]{4}){3}-[0-9A-F]{12}$/);
    expect([...entry.replicas.keys()]).toEqual(['SE-DISK']);
    const stored = await se.read(lfn);
    expect(entry).toMatchObject({ size: stored.length, checksum: diracAdlerHex(adler32(stored)) });
    expect(stored.length).toBeGreaterThan(SANDBOX_LIMIT);
    expect(server.state.jobs.get(207)!.parameters.UploadedOutputData).toBe(lfn);
  });

  it('an oversized sandbox whose SE refuses: failover SE, the request in ReqManager, Completed with Pending Requests', async () => {
    const before = server.data.requests.length;
    const outcome = await runNext(208);
    expect(outcome).toMatchObject({ status: 'Completed', minorStatus: 'Pending Requests' });
    expect(minors(208).slice(-4)).toEqual([
      'Completing/Uploading Output Sandbox',
      'Completing/Uploading Output Data',
      'Completing/Output Data Uploaded',
      'Completed/Pending Requests',
    ]);
    const lfn = await sandboxOnStorage(208, failover);
    expect([...server.data.files.get(lfn)!.replicas.keys()]).toEqual(['SE-FAILOVER']);
    expect(server.data.requests).toHaveLength(before + 1);
    const stored = server.data.requests.at(-1)!.parsed as {
      RequestName: string;
      Operations: { Type: string; TargetSE: string; SourceSE: string | null; Files: { LFN: string }[] }[];
    };
    expect(stored.RequestName).toBe('bigsandbox_job_208');
    expect(stored.Operations.map((op) => [op.Type, op.TargetSE, op.SourceSE, op.Files[0]!.LFN])).toEqual([
      ['ReplicateAndRegister', 'SE-DOWN', '', lfn],
      ['RemoveReplica', 'SE-FAILOVER', null, lfn],
    ]);
    expect(String(server.state.jobs.get(208)!.parameters.PendingRequest)).toMatch(/^Name:bigsandbox_job_208\n/);
  });

  it('a sandbox under the limit that the sandbox store refuses (its own MaxSandboxSizeMiB) goes to the SE too, as DIRAC does', async () => {
    const outcome = await runNext(209);
    expect(outcome).toMatchObject({ status: 'Done', minorStatus: 'Execution Complete' });
    expect(minors(209)).not.toContain('Completing/Output Sandbox Uploaded');
    await sandboxOnStorage(209, se);
  });

  it('a failed job’s oversized sandbox is uploaded in any case; the job stays Failed', async () => {
    const outcome = await runNext(210);
    expect(outcome).toMatchObject({ status: 'Failed', minorStatus: 'Application Finished With Errors' });
    expect(minors(210).filter((m) => m.startsWith('Completing/Uploading') || m.includes('Output Data'))).toEqual([]);
    await sandboxOnStorage(210, se);
  });
});
