import { mkdtempSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiracxBackend, type DiracxBackend, type DiracxBackendOptions } from '../../src/diracx/index.js';
import { SPOOL_FILE_NAME } from '../../src/diracx/jobs/status-spool.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { startFakeDiracx, type FakeServer, type SeenRequest } from './fake-diracx.js';

const FAST_RETRY = { baseDelayMs: 2, maxDelayMs: 10, callBudgetMs: 1_000 };
const TOKENS = { accessToken: 'pilot-access', refreshToken: 'pilot-refresh', expiresAt: Date.now() + 3_600_000 };

let servers: FakeServer[] = [];
let backends: DiracxBackend[] = [];
afterEach(async () => {
  for (const b of backends) await b.close().catch(() => undefined);
  for (const s of servers) await s.close();
  backends = [];
  servers = [];
});

async function fake(routes: Parameters<typeof startFakeDiracx>[0]): Promise<FakeServer> {
  const server = await startFakeDiracx(routes);
  servers.push(server);
  return server;
}

async function connect(url: string, extra: Partial<DiracxBackendOptions> = {}): Promise<DiracxBackend> {
  const backend = await createDiracxBackend({ url, credentials: { tokens: { ...TOKENS } }, retry: FAST_RETRY, ...extra });
  backends.push(backend);
  return backend;
}

/** A status route that records (job, timestamp, update) in arrival order and answers like DiracX. */
function statusRecorder(log: Array<{ job: string; ts: string; Status?: string; MinorStatus?: string; Source: string }>) {
  return (req: SeenRequest) => {
    const body = req.json as Record<string, Record<string, { Status?: string; MinorStatus?: string; Source: string }>>;
    const success: Record<string, object> = {};
    for (const [job, updates] of Object.entries(body)) {
      for (const ts of Object.keys(updates).sort()) log.push({ job, ts, ...updates[ts]! });
      success[job] = { Status: null, MinorStatus: null };
    }
    return { json: { success, failed: {} } };
  };
}

describe('job reports', () => {
  it('returns the Kill command of a heartbeat reply and sends all jobs in one request with only the known fields', async () => {
    const server = await fake({
      'PATCH /api/jobs/heartbeat': () => ({ json: [{ job_id: 12, command: 'Kill', arguments: '' }] }),
    });
    const backend = await connect(server.url);
    const commands = await backend.heartbeat(
      new Map([
        [
          12,
          {
            LoadAverage: 1.5,
            MemoryUsed: 100,
            Vsize: 200,
            AvailableDiskSpace: 3000,
            CPUConsumed: 12,
            WallClockTime: 30,
            StandardOutput: 'hello',
          },
        ],
        [13, { CPUConsumed: Number.NaN, WallClockTime: 4 }],
      ]),
    );
    expect(commands).toEqual([{ jobId: 12, command: 'Kill', arguments: '' }]);
    const [request] = server.seen('PATCH /api/jobs/heartbeat');
    expect(request!.json).toEqual({
      '12': {
        LoadAverage: 1.5,
        MemoryUsed: 100,
        Vsize: 200,
        AvailableDiskSpace: 3000,
        CPUConsumed: 12,
        WallClockTime: 30,
        StandardOutput: 'hello',
      },
      '13': { WallClockTime: 4 },
    });
    expect(request!.headers.authorization).toBe('Bearer pilot-access');
  });

  it('never sends two heartbeats for one job within a second', async () => {
    const arrivals: number[] = [];
    const server = await fake({ 'PATCH /api/jobs/heartbeat': () => (arrivals.push(Date.now()), { json: [] }) });
    const backend = await connect(server.url);
    await Promise.all([1, 2, 3].map(() => backend.heartbeat(new Map([[5, { CPUConsumed: 1 }]]))));
    expect(arrivals).toHaveLength(3);
    // Server-side seconds, as DiracX keys them: all distinct.
    expect(new Set(arrivals.map((t) => Math.floor(t / 1000))).size).toBe(3);
  });

  it('retries 503 and 429 (honouring Retry-After) until the call succeeds', async () => {
    let calls = 0;
    const server = await fake({
      'PATCH /api/jobs/metadata': () => {
        calls++;
        if (calls === 1) return { status: 503, json: { detail: 'maintenance' }, headers: { 'retry-after': '0' } };
        if (calls === 2) return { status: 429, json: { detail: 'slow down' }, headers: { 'retry-after': '1' } };
        return { status: 204 };
      },
    });
    const backend = await connect(server.url, { retry: { ...FAST_RETRY, callBudgetMs: 5_000 } });
    await backend.setJobMetadata(3, { HostName: 'wn1', 'Memory(MB)': 2000 });
    expect(calls).toBe(3);
    expect(server.seen('PATCH /api/jobs/metadata')[2]!.json).toEqual({ '3': { HostName: 'wn1', 'Memory(MB)': 2000 } });
  });

  it('surfaces a non-retryable 4xx at once with the server detail', async () => {
    const server = await fake({
      'PATCH /api/jobs/metadata': () => ({
        status: 422,
        json: { detail: [{ loc: ['body', '3', 'PayloadPID'], msg: 'Input should be a valid integer' }] },
      }),
    });
    const backend = await connect(server.url);
    const error = await backend.setJobMetadata(3, { PayloadPID: 'x' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: ExitCode.SERVER_PROTOCOL, status: 422 });
    expect((error as Error).message).toBe('PATCH /api/jobs/metadata: HTTP 422: body.3.PayloadPID: Input should be a valid integer');
    expect(server.seen('PATCH /api/jobs/metadata')).toHaveLength(1);
  });

  it('gives up on a refused connection with SERVER_UNREACHABLE', async () => {
    const server = await fake({});
    const url = server.url;
    await server.close();
    servers = [];
    const backend = await connect(url, { retry: { baseDelayMs: 2, maxDelayMs: 5, callBudgetMs: 100 } });
    const error = await backend.reschedule([1]).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: ExitCode.SERVER_UNREACHABLE });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('sends statuses with tz-aware, timestamps a millisecond apart at least and the Source', async () => {
    const log: Parameters<typeof statusRecorder>[0] = [];
    const server = await fake({ 'PATCH /api/jobs/status': statusRecorder(log) });
    const backend = await connect(server.url);
    const at = new Date('2026-11-22T10:00:00.000Z');
    await backend.setJobStatus(4, { status: 'Running', minorStatus: 'Job Initialization', source: 'JobWrapper', timestamp: at });
    await backend.setJobStatus(4, { minorStatus: 'Application', source: 'JobWrapper', timestamp: at });
    expect(log).toEqual([
      { job: '4', ts: '2026-11-22T10:00:00.000000+00:00', Status: 'Running', MinorStatus: 'Job Initialization', Source: 'JobWrapper' },
      { job: '4', ts: '2026-11-22T10:00:00.001000+00:00', MinorStatus: 'Application', Source: 'JobWrapper' },
    ]);
  });

  it('keeps statuses queued through an outage, spools them, and delivers them in order afterwards', async () => {
    const log: Parameters<typeof statusRecorder>[0] = [];
    let down = true;
    const record = statusRecorder(log);
    const server = await fake({
      'PATCH /api/jobs/status': (req) => (down ? { status: 503, json: { detail: 'down' } } : record(req)),
    });
    const spoolDir = mkdtempSync(path.join(tmpdir(), 'dx-spool-'));
    const backend = await connect(server.url, { spoolDir, retry: { baseDelayMs: 2, maxDelayMs: 5, callBudgetMs: 50 } });
    const steps = ['Job Initialization', 'Application', 'Uploading Output Sandbox'];
    for (const minor of steps) await backend.setJobStatus(9, { status: 'Running', minorStatus: minor, source: 'JobWrapper' });
    await backend.setJobStatus(9, { status: 'Done', minorStatus: 'Execution Complete', source: 'JobWrapper' });
    expect(log).toEqual([]);
    expect(backend.pendingStatusUpdates).toBe(4);
    expect(readFileSync(path.join(spoolDir, SPOOL_FILE_NAME), 'utf8').trim().split('\n')).toHaveLength(4);

    down = false;
    await backend.flush();
    expect(log.map((entry) => entry.MinorStatus)).toEqual([...steps, 'Execution Complete']);
    expect(backend.pendingStatusUpdates).toBe(0);
    expect(existsSync(path.join(spoolDir, SPOOL_FILE_NAME))).toBe(false);
  });

  it('spools undelivered final statuses at close and the next instance with the same spool dir delivers them first', async () => {
    const spoolDir = mkdtempSync(path.join(tmpdir(), 'dx-spool-'));
    const dead = await fake({ 'PATCH /api/jobs/status': () => ({ status: 503, json: { detail: 'down' } }) });
    const first = await connect(dead.url, { spoolDir, retry: { baseDelayMs: 2, maxDelayMs: 5, callBudgetMs: 50 }, flushBudgetMs: 50 });
    await first.setJobStatus(21, { status: 'Running', minorStatus: 'Application', source: 'JobWrapper' });
    await first.setJobStatus(21, { status: 'Failed', minorStatus: 'Application Finished With Errors', source: 'JobWrapper' });
    await first.close();
    expect(readFileSync(path.join(spoolDir, SPOOL_FILE_NAME), 'utf8')).toContain('Application Finished With Errors');

    const log: Parameters<typeof statusRecorder>[0] = [];
    const alive = await fake({ 'PATCH /api/jobs/status': statusRecorder(log) });
    const second = await connect(alive.url, { spoolDir });
    expect(log.map((entry) => entry.Status)).toEqual(['Running', 'Failed']);
    await second.setJobStatus(22, { status: 'Running', source: 'JobWrapper' });
    expect(log.map((entry) => entry.job)).toEqual(['21', '21', '22']);
    expect(existsSync(path.join(spoolDir, SPOOL_FILE_NAME))).toBe(false);
  });

  it('skips unreadable spool lines with a warning and still delivers the good ones', async () => {
    const spoolDir = mkdtempSync(path.join(tmpdir(), 'dx-spool-'));
    writeFileSync(
      path.join(spoolDir, SPOOL_FILE_NAME),
      [
        '{not json',
        JSON.stringify({ jobId: 'x', timestamp: 't', update: { Source: 'a' } }),
        JSON.stringify({ jobId: 3, timestamp: '2026-11-22T10:00:00.000000+00:00', update: { Status: 'Done', Source: 'JobWrapper' } }),
      ].join('\n'),
    );
    const log: Parameters<typeof statusRecorder>[0] = [];
    const server = await fake({ 'PATCH /api/jobs/status': statusRecorder(log) });
    await connect(server.url, { spoolDir });
    expect(log).toEqual([{ job: '3', ts: '2026-11-22T10:00:00.000000+00:00', Status: 'Done', Source: 'JobWrapper' }]);
  });

  it('names the endpoint and field when a reply does not fit its schema', async () => {
    const server = await fake({
      'PATCH /api/jobs/heartbeat': () => ({ json: [{ job_id: 'twelve', command: 'Kill' }] }),
      'POST /api/jobs/match': () => ({ json: { jobs: [{ job_id: 1, jdl: '[]', owner: 'u', owner_group: 'g' }] } }),
      'POST /api/jobs/reschedule': () => ({ text: '<html>proxy error</html>' }),
    });
    const backend = await connect(server.url);
    const heartbeatError = await backend.heartbeat(new Map([[12, {}]])).catch((e: unknown) => e);
    expect(heartbeatError).toMatchObject({ exitCode: ExitCode.SERVER_PROTOCOL });
    expect((heartbeatError as Error).message).toMatch(/^PATCH \/api\/jobs\/heartbeat: unexpected reply at 0\.job_id: /);
    const matchError = await backend
      .match({ pilotStamp: 's', vo: 'lhcb', maxJobs: 1, node: {}, resources: {} as never })
      .catch((e: unknown) => e);
    expect((matchError as Error).message).toMatch(/provisional match\): unexpected reply at jobs\.0\.vo: Required/);
    const rescheduleError = await backend.reschedule([1]).catch((e: unknown) => e);
    expect(rescheduleError).toMatchObject({ exitCode: ExitCode.SERVER_PROTOCOL });
    expect((rescheduleError as Error).message).toContain('reply is not JSON');
  });

  it('close() ships what a pilot log shipper still holds (proposal endpoint)', async () => {
    const server = await fake({ 'POST /api/pilots/internal/message': () => ({ status: 204 }) });
    const backend = await connect(server.url);
    const shipper = backend.createPilotLogShipper({ batchLines: 100, intervalMs: 60_000 });
    shipper.write(`${JSON.stringify({ level: 30, time: Date.now(), msg: 'pilot ending', cmd: 'run-jobs' })}\n`);
    await backend.close();
    const [request] = server.seen('POST /api/pilots/internal/message');
    expect(request!.json).toEqual({
      lines: [{ timestamp: expect.any(String), severity: 'INFO', message: 'pilot ending', scope: 'run-jobs' }],
    });
    expect(request!.headers.authorization).toBe('Bearer pilot-access');
  });

  it('a spool directory that cannot be created is a WORKDIR error naming it', async () => {
    const blocker = path.join(mkdtempSync(path.join(tmpdir(), 'dx-spool-')), 'file');
    writeFileSync(blocker, '');
    const error = await createDiracxBackend({
      url: 'http://127.0.0.1:9',
      credentials: { tokens: TOKENS },
      spoolDir: path.join(blocker, 'spool'),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: ExitCode.WORKDIR });
    expect((error as Error).message).toBe(`cannot create the status spool directory ${path.join(blocker, 'spool')}: ENOTDIR`);
  });
});
