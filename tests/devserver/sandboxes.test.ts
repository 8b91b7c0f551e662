import { createHash } from 'node:crypto';
import { zstdDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { call, HELLO_JDL_FIELDS } from './helpers.js';

let server: DevServer;
let user: string;
let pilot: string;

beforeAll(async () => {
  server = await startDevServer({ sandboxMaxBytes: 1024 * 1024 });
  user = server.issueUserCredentials('alice').access_token;
  pilot = server.issuePilotCredentials().access_token;
});
afterAll(() => server.close());

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

interface UploadResponse {
  pfn: string;
  url: string | null;
  fields: Record<string, string>;
}

async function initiate(token: string, data: Buffer, size = data.length, checksum = sha256(data)) {
  return call(server, 'POST', '/api/jobs/sandbox', { token, json: { checksum_algorithm: 'sha256', checksum, size, format: 'tar.zst' } });
}

function postForm(url: string, fields: Record<string, string>, file: Buffer, headers: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append('file', new Blob([file]), 'sandbox.tar.zst');
  return fetch(url, { method: 'POST', body: form, headers });
}

describe('sandbox upload (presigned POST)', () => {
  it('accepts the exact bytes announced, then reports the object as existing', async () => {
    const data = Buffer.from('a sandbox archive, pretend zstd');
    const r = await initiate(user, data);
    expect(r.status).toBe(200);
    const up = r.json as UploadResponse;
    expect(up.pfn).toBe(`SB:SandboxSE|/S3/sandboxes/demo/demo_user/alice/sha256:${sha256(data)}.tar.zst`);
    expect(up.fields['x-amz-checksum-sha256']).toBe(createHash('sha256').update(data).digest('base64'));
    const upload = await postForm(up.url!, up.fields, data);
    expect(upload.status).toBe(204);
    const again = (await initiate(user, data)).json as UploadResponse;
    expect(again.url).toBeNull();
    expect(again.pfn).toBe(up.pfn);
  });

  it('refuses a file of another size than announced', async () => {
    const data = Buffer.from('twelve bytes');
    const up = (await initiate(user, data)).json as UploadResponse;
    const upload = await postForm(up.url!, up.fields, Buffer.concat([data, Buffer.from('!')]));
    expect(upload.status).toBe(400);
    expect(await upload.text()).toContain('EntityTooLarge');
  });

  it('refuses bytes whose sha256 differs from the announced one', async () => {
    const data = Buffer.from('original content');
    const up = (await initiate(user, data)).json as UploadResponse;
    const upload = await postForm(up.url!, up.fields, Buffer.from('tampered content'));
    expect(upload.status).toBe(400);
    expect(await upload.text()).toContain('BadDigest');
  });

  it('refuses a tampered policy field', async () => {
    const data = Buffer.from('policy check');
    const up = (await initiate(user, data)).json as UploadResponse;
    const upload = await postForm(up.url!, { ...up.fields, key: 'demo/demo_user/mallory/sha256:00.tar.zst' }, data);
    expect(upload.status).toBe(403);
  });

  it('answers 403 to a GenericPilot token (only the owner may move sandboxes) and 400 above the size limit', async () => {
    expect((await initiate(pilot, Buffer.from('x'))).status).toBe(403);
    expect((await initiate(user, Buffer.from('x'), 2 * 1024 * 1024)).status).toBe(400);
  });

  it('validates SandboxInfo against the spec', async () => {
    const r = await call(server, 'POST', '/api/jobs/sandbox', {
      token: user,
      json: { checksum_algorithm: 'md5', checksum: 'abc', size: 0, format: 'zip' },
    });
    expect(r.status).toBe(422);
    const locs = (r.json as { detail: { loc: string[] }[] }).detail.map((d) => d.loc.join('.'));
    expect(locs).toEqual(expect.arrayContaining(['body.checksum', 'body.size', 'body.format', 'body.checksum_algorithm']));
  });
});

describe('sandbox download (presigned GET)', () => {
  it('gives the owner a URL that works without Authorization and refuses it with one', async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS, owner: 'alice', inputFiles: { 'run.sh': '#!/bin/sh\necho hi\n' } });
    const pfn = server.job(id)!.inputSandbox[0]!;
    expect(server.job(id)!.jdl).toContain(pfn);
    const r = await call(server, 'GET', `/api/jobs/sandbox?pfn=${encodeURIComponent(pfn)}`, { token: user });
    expect(r.status).toBe(200);
    const { url, expires_in } = r.json as { url: string; expires_in: number };
    expect(expires_in).toBe(300);
    const withAuth = await fetch(url, { headers: { authorization: `Bearer ${user}` } });
    expect(withAuth.status).toBe(400);
    const plain = await fetch(url);
    expect(plain.status).toBe(200);
    const archive = Buffer.from(await plain.arrayBuffer());
    expect(archive.subarray(0, 4)).toEqual(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    expect(zstdDecompressSync(archive).toString('latin1')).toContain('echo hi');
  });

  it("refuses a PFN outside the caller's namespace and a pilot token", async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS, owner: 'carol', inputFiles: { 'run.sh': 'x' } });
    const pfn = server.job(id)!.inputSandbox[0]!;
    expect((await call(server, 'GET', `/api/jobs/sandbox?pfn=${encodeURIComponent(pfn)}`, { token: user })).status).toBe(403);
    expect((await call(server, 'GET', `/api/jobs/sandbox?pfn=${encodeURIComponent(pfn)}`, { token: pilot })).status).toBe(403);
    expect((await call(server, 'GET', '/api/jobs/sandbox?pfn=not-a-pfn', { token: user })).status).toBe(422);
  });

  it('refuses a presigned URL with a forged signature', async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS, owner: 'alice', inputFiles: { 'run.sh': 'y' } });
    const pfn = server.job(id)!.inputSandbox[0]!;
    const { url } = (await call(server, 'GET', `/api/jobs/sandbox?pfn=${encodeURIComponent(pfn)}`, { token: user })).json as {
      url: string;
    };
    const forged = url.replace(/X-Amz-Signature=[0-9a-f]/, (m) => `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`);
    expect((await fetch(forged)).status).toBe(403);
  });
});

describe('PATCH /api/jobs/{id}/sandbox/output', () => {
  it('lets the pilot attach an uploaded sandbox (bare JSON string body) and exposes the bytes', async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS, owner: 'alice' });
    const data = Buffer.from('output archive');
    const up = (await initiate(user, data)).json as UploadResponse;
    expect((await postForm(up.url!, up.fields, data)).status).toBe(204);
    const r = await call(server, 'PATCH', `/api/jobs/${id}/sandbox/output`, { token: pilot, rawBody: JSON.stringify(up.pfn) });
    expect(r.status).toBe(200);
    expect(server.job(id)!.outputSandbox).toBe(up.pfn);
    expect(server.outputSandbox(id)).toEqual(data);
    const again = await call(server, 'PATCH', `/api/jobs/${id}/sandbox/output`, { token: pilot, rawBody: JSON.stringify(up.pfn) });
    expect(again.status).toBe(400);
  });

  it('refuses a PFN never uploaded (400) and a body that is not a PFN string (422)', async () => {
    const id = server.submitJob({ fields: HELLO_JDL_FIELDS });
    const missing = `SB:SandboxSE|/S3/sandboxes/demo/demo_user/alice/sha256:${'0'.repeat(64)}.tar.zst`;
    expect((await call(server, 'PATCH', `/api/jobs/${id}/sandbox/output`, { token: pilot, rawBody: JSON.stringify(missing) })).status).toBe(
      400,
    );
    expect((await call(server, 'PATCH', `/api/jobs/${id}/sandbox/output`, { token: pilot, json: { pfn: missing } })).status).toBe(422);
  });
});
