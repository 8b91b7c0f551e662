import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import busboy from 'busboy';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { MatchedJob } from '../../src/backend/types.js';
import { createDiracxBackend, type DiracxBackend } from '../../src/diracx/index.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { startFakeDiracx, type FakeServer, type SeenRequest } from './fake-diracx.js';

const PFN = `SB:SandboxSE|/S3/sandboxes/demo/demo_user/alice/sha256:${'ab'.repeat(32)}.tar.zst`;
const ARCHIVE = Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.from('archive bytes')]);
const JOB: MatchedJob = {
  jobId: 31,
  jdl: '[]',
  owner: 'alice',
  ownerGroup: 'demo_user',
  vo: 'demo',
  credentials: { accessToken: 'owner-access', expiresIn: 600, refreshToken: 'owner-refresh' },
};

let servers: FakeServer[] = [];
let backend: DiracxBackend | undefined;
afterEach(async () => {
  await backend?.close();
  for (const s of servers) await s.close();
  servers = [];
  backend = undefined;
});

async function twoServers(
  diracxRoutes: (storage: FakeServer) => Parameters<typeof startFakeDiracx>[0],
  storageRoutes: Parameters<typeof startFakeDiracx>[0],
) {
  const storage = await startFakeDiracx(storageRoutes);
  const diracx = await startFakeDiracx(diracxRoutes(storage));
  servers.push(storage, diracx);
  backend = await createDiracxBackend({
    url: diracx.url,
    credentials: { tokens: { accessToken: 'pilot-access', refreshToken: 'pilot-refresh', expiresAt: Date.now() + 3_600_000 } },
    retry: { baseDelayMs: 2, maxDelayMs: 5, callBudgetMs: 500 },
  });
  return { storage, diracx, backend };
}

function multipart(req: SeenRequest): Promise<{ fields: Record<string, string>; order: string[]; file: Buffer }> {
  return new Promise((resolve, reject) => {
    const fields: Record<string, string> = {};
    const order: string[] = [];
    const chunks: Buffer[] = [];
    const parser = busboy({ headers: req.headers });
    parser.on('field', (name, value) => {
      fields[name] = value;
      order.push(name);
    });
    parser.on('file', (name, stream) => {
      order.push(name);
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    });
    parser.on('close', () => resolve({ fields, order, file: Buffer.concat(chunks) }));
    parser.on('error', reject);
    Readable.from(req.body).pipe(parser);
  });
}

describe('sandboxes', () => {
  it('downloads with the owner token, then fetches the presigned URL on another host without Authorization', async () => {
    const { storage, diracx, backend } = await twoServers(
      (s) => ({ 'GET /api/jobs/sandbox': () => ({ json: { url: `${s.url}/bucket/object?X-Amz-Signature=abc`, expires_in: 300 } }) }),
      { 'GET /bucket/object': () => ({ raw: ARCHIVE, headers: { 'content-type': 'application/octet-stream' } }) },
    );
    const dest = path.join(mkdtempSync(path.join(tmpdir(), 'dx-sb-')), 'in.tar.zst');
    await backend.downloadSandbox(JOB, PFN, dest);
    expect(readFileSync(dest)).toEqual(ARCHIVE);
    const [ask] = diracx.seen('GET /api/jobs/sandbox');
    expect(ask!.headers.authorization).toBe('Bearer owner-access');
    expect(ask!.query.get('pfn')).toBe(PFN);
    const [fetch] = storage.seen('GET /bucket/object');
    expect(fetch!.headers.authorization).toBeUndefined();
    expect(fetch!.query.get('X-Amz-Signature')).toBe('abc');
  });

  it('uploads: announces sha256 and size, posts the fields then the file to the presigned URL, attaches the PFN as a bare JSON string', async () => {
    const sha256 = createHash('sha256').update(ARCHIVE).digest('hex');
    const outPfn = `SB:SandboxSE|/S3/sandboxes/demo/demo_user/alice/sha256:${sha256}.tar.zst`;
    const { storage, diracx, backend } = await twoServers(
      (s) => ({
        'POST /api/jobs/sandbox': () => ({
          json: { pfn: outPfn, url: `${s.url}/bucket`, fields: { key: 'demo/x', policy: 'p', 'x-amz-checksum-sha256': 'c' } },
        }),
        'PATCH /api/jobs/31/sandbox/output': () => ({ json: null }),
      }),
      { 'POST /bucket': () => ({ status: 204 }) },
    );
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dx-sb-')), 'out.tar.zst');
    writeFileSync(file, ARCHIVE);
    expect(await backend.uploadOutputSandbox(JOB, { path: file, sha256, size: ARCHIVE.length, format: 'tar.zst' })).toBe(outPfn);
    const [initiate] = diracx.seen('POST /api/jobs/sandbox');
    expect(initiate!.json).toEqual({ checksum_algorithm: 'sha256', checksum: sha256, size: ARCHIVE.length, format: 'tar.zst' });
    expect(initiate!.headers.authorization).toBe('Bearer owner-access');
    const [upload] = storage.seen('POST /bucket');
    expect(upload!.headers.authorization).toBeUndefined();
    const form = await multipart(upload!);
    expect(form.order).toEqual(['key', 'policy', 'x-amz-checksum-sha256', 'file']);
    expect(form.file).toEqual(ARCHIVE);
    const [attach] = diracx.seen('PATCH /api/jobs/31/sandbox/output');
    expect(attach!.body.toString()).toBe(JSON.stringify(outPfn));
    expect(attach!.headers.authorization).toBe('Bearer owner-access');
  });

  it('skips the storage upload when the server already has the archive', async () => {
    const sha256 = createHash('sha256').update(ARCHIVE).digest('hex');
    const outPfn = `SB:SandboxSE|/S3/sandboxes/demo/demo_user/alice/sha256:${sha256}.tar.zst`;
    const { storage, backend } = await twoServers(
      () => ({ 'POST /api/jobs/sandbox': () => ({ json: { pfn: outPfn } }), 'PATCH /api/jobs/31/sandbox/output': () => ({ json: null }) }),
      {},
    );
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dx-sb-')), 'out.tar.zst');
    writeFileSync(file, ARCHIVE);
    await backend.uploadOutputSandbox(JOB, { path: file, sha256, size: ARCHIVE.length, format: 'tar.zst' });
    expect(storage.requests).toEqual([]);
  });

  it('refuses to move sandboxes without owner credentials, and rejects a non-sandbox PFN', async () => {
    const { diracx, backend } = await twoServers(() => ({}), {});
    const dest = path.join(tmpdir(), 'never-written');
    await expect(backend.downloadSandbox({ ...JOB, credentials: null }, PFN, dest)).rejects.toMatchObject({
      exitCode: ExitCode.CREDENTIALS,
      message: expect.stringContaining("pilot's token cannot move sandboxes"),
    });
    await expect(backend.downloadSandbox(JOB, 'LFN:/demo/x.txt', dest)).rejects.toThrow(/is not a DiracX sandbox PFN/);
    expect(diracx.requests).toEqual([]);
  });
});
