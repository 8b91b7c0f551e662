import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiracResources, MatchedJob } from '../../src/backend/types.js';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { createDiracxBackend, type DiracxBackend } from '../../src/diracx/index.js';
import { ExitCode } from '../../src/core/exit-codes.js';

/**
 * The contract: every call the client makes, against the DiracX-compatible dev server, which
 * checks each request against spec/diracx-openapi.json (and the proposals' shapes) and records
 * any mismatch in `violations`.
 */

const STAMP = 'contract-pilot-1';
const NODE = {
  site: 'DIRAC.Contract.ch',
  system: { name: 'Linux', glibc: '2.36', 'user-namespaces': true },
  'wall-time': 86_400,
  'cpu-work': 1_000_000,
  cpu: { 'num-cores': 8, 'ram-mb': 16_000, architecture: { name: 'x86_64', 'microarchitecture-level': 3 } },
  gpu: { count: 0 },
  tags: [],
};
const RESOURCES: DiracResources = {
  Site: 'DIRAC.Contract.ch',
  GridCE: 'ce.contract.ch',
  CEQueue: 'long',
  Platform: 'Linux_x86_64_glibc-2.36',
  Tag: [],
  RequiredTag: [],
  NumberOfProcessors: 8,
  MaxRAM: 16_000,
  NumberOfGPUs: 0,
  CPUTime: 1_000_000,
  PilotBenchmark: 12.5,
  PilotReference: 'sshslurm://ce.contract.ch/1234',
  ReleaseVersion: '0.1.0',
  VirtualOrganization: 'demo',
};

let dev: DevServer;
let backend: DiracxBackend;
let dir: string;
let clockOffset = 0;
const credentialFile = () => path.join(dir, 'pilot-credentials.json');

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'dx-contract-'));
  dev = await startDevServer({ features: { pilotLogs: true, secretExchange: true } });
  backend = await createDiracxBackend({
    url: dev.url,
    credentials: { file: credentialFile(), secretExchange: { pilotStamp: STAMP, secret: dev.addPilotSecret(STAMP) } },
    spoolDir: path.join(dir, 'spool'),
    now: () => Date.now() + clockOffset,
  });
});
afterAll(async () => {
  await backend?.close().catch(() => undefined);
  await dev?.close();
});

async function matchOne(): Promise<MatchedJob> {
  const jobs = await backend.match({ pilotStamp: STAMP, vo: 'demo', maxJobs: 1, node: NODE, resources: RESOURCES });
  expect(jobs).toHaveLength(1);
  return jobs[0]!;
}

function submit(name: string, inputFiles?: Record<string, string>): number {
  return dev.submitJob({
    fields: { JobName: name, Executable: 'run.sh', OutputSandbox: ['std.out'], CPUTime: 100 },
    ...(inputFiles ? { inputFiles } : {}),
  });
}

describe('contract with the dev server', () => {
  it('registers the pilot and reports its status', async () => {
    expect(await backend.serverTime()).toBeInstanceOf(Date);
    await backend.registerPilot({
      pilotStamp: STAMP,
      vo: 'demo',
      gridType: 'SSH',
      gridSite: 'DIRAC.Contract.ch',
      destinationSite: 'ce.contract.ch',
      pilotReference: 'sshslurm://ce.contract.ch/1234',
    });
    await backend.setPilotStatus('Running', 'matching jobs', { BenchMark: 12.5, Queue: 'long', GridSite: 'DIRAC.Contract.ch' });
    expect(dev.pilots.find((p) => p.pilot_stamp === STAMP)).toMatchObject({
      status: 'Running',
      grid_type: 'SSH',
      metadata: expect.objectContaining({ BenchMark: 12.5, Queue: 'long' }),
    });
  });

  it('runs a job through match, input sandbox, heartbeat, metadata, output sandbox and Done', async () => {
    const id = submit('contract-1', { 'run.sh': 'echo hello\n' });
    const job = await matchOne();
    expect(job).toMatchObject({ jobId: id, owner: expect.any(String), vo: 'demo' });
    expect(job.credentials?.accessToken).toBeTruthy();
    await backend.setJobStatus(id, { status: 'Running', minorStatus: 'Job Initialization', source: 'JobWrapper' });
    await backend.setJobStatus(id, { minorStatus: 'Downloading InputSandbox', source: 'JobWrapper' });

    const pfn = /"(SB:[^"]+)"/.exec(job.jdl)?.[1];
    expect(pfn).toBeDefined();
    const input = path.join(dir, 'input.tar.zst');
    await backend.downloadSandbox(job, pfn!, input);
    expect(readFileSync(input).subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));

    await backend.setJobMetadata(id, { HostName: 'wn1.contract.ch', 'Memory(MB)': 16000, CEQueue: 'long', PayloadPID: 4242 });
    expect(
      await backend.heartbeat(
        new Map([
          [
            id,
            {
              LoadAverage: 0.7,
              MemoryUsed: 120,
              Vsize: 900,
              AvailableDiskSpace: 50_000,
              CPUConsumed: 3,
              WallClockTime: 4,
              StandardOutput: 'hello',
            },
          ],
        ]),
      ),
    ).toEqual([]);

    await backend.setJobStatus(id, { status: 'Completing', minorStatus: 'Uploading Output Sandbox', source: 'JobWrapper' });
    const output = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.from(`output of ${id}`)]);
    const outputFile = path.join(dir, 'output.tar.zst');
    writeFileSync(outputFile, output);
    const outPfn = await backend.uploadOutputSandbox(job, {
      path: outputFile,
      size: output.length,
      format: 'tar.zst',
      sha256: createHash('sha256').update(output).digest('hex'),
    });
    expect(outPfn).toMatch(/^SB:SandboxSE\|\/S3\//);
    expect(dev.outputSandbox(id)).toEqual(output);
    await backend.setJobStatus(id, { status: 'Completing', minorStatus: 'Output Sandbox Uploaded', source: 'JobWrapper' });
    await backend.setJobStatus(id, { status: 'Done', minorStatus: 'Execution Complete', source: 'JobWrapper' });
    expect(dev.job(id)).toMatchObject({ status: 'Done', minorStatus: 'Execution Complete' });
  });

  it('gets the Kill command of a killed job in the next heartbeat, once', async () => {
    const id = submit('contract-kill');
    await matchOne();
    await backend.setJobStatus(id, { status: 'Running', minorStatus: 'Application', source: 'JobWrapper' });
    dev.killJob(id);
    expect(await backend.heartbeat(new Map([[id, { CPUConsumed: 1 }]]))).toEqual([
      { jobId: id, command: 'Kill', arguments: expect.anything() },
    ]);
    expect(await backend.heartbeat(new Map([[id, { CPUConsumed: 2 }]]))).toEqual([]);
  });

  it('reschedules a running job', async () => {
    const id = submit('contract-reschedule');
    await matchOne();
    await backend.setJobStatus(id, { status: 'Running', minorStatus: 'Application', source: 'JobWrapper' });
    await backend.reschedule([id]);
    expect(dev.job(id)?.rescheduleCounter).toBe(1);
  });

  it('ships pilot log lines (proposal) through the pino destination', async () => {
    const shipper = backend.createPilotLogShipper({ batchLines: 2, intervalMs: 60_000 });
    const logger = pino({ base: undefined }, shipper);
    logger.info({ cmd: 'run-jobs' }, 'first line');
    logger.warn('second line');
    logger.error('third line');
    await new Promise<void>((resolve) => shipper.end(resolve));
    expect(shipper.stats()).toMatchObject({ shipped: 3, dropped: 0 });
    expect(dev.pilotLogs.map((line) => line.message)).toEqual(expect.arrayContaining(['first line', 'second line', 'third line']));
  });

  it('refreshes the pilot token when it is due, rotating the saved refresh token', async () => {
    const before = JSON.parse(readFileSync(credentialFile(), 'utf8'));
    clockOffset = 3 * 3600 * 1000; // the pilot's clock says the token has expired
    await backend.setPilotStatus('Running', 'still matching');
    const after = JSON.parse(readFileSync(credentialFile(), 'utf8'));
    expect(after.refresh_token).not.toBe(before.refresh_token);
    clockOffset = 0;
  });

  it('ends with AUTH_REFUSED once the server revokes everything', async () => {
    dev.revokeAll();
    const error = await backend.setPilotStatus('Running').catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: ExitCode.AUTH_REFUSED });
  });

  it('made no request the spec (or the proposals) would reject', () => {
    expect(dev.violations).toEqual([]);
  });
});
