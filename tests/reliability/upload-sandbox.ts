import { createHash } from 'node:crypto';
import type { DevServer } from '../../src/devserver/index.js';

/**
 * Stores `data` byte for byte as an input sandbox through the API, as a user's client would
 * (POST /api/jobs/sandbox, then the presigned POST), and returns its PFN. Unlike
 * `submitJob({ inputFiles })`, nothing is rebuilt: hostile archives arrive as crafted.
 */
export async function uploadRawSandbox(server: DevServer, data: Buffer, format: 'tar.zst' | 'tar.bz2'): Promise<string> {
  const token = server.issueUserCredentials().access_token;
  const checksum = createHash('sha256').update(data).digest('hex');
  const initiated = await fetch(new URL('/api/jobs/sandbox', server.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ checksum_algorithm: 'sha256', checksum, size: data.length, format }),
  });
  if (initiated.status !== 200) throw new Error(`POST /api/jobs/sandbox: ${initiated.status} ${await initiated.text()}`);
  const reply = (await initiated.json()) as { pfn: string; url: string | null; fields: Record<string, string> };
  if (reply.url) {
    const form = new FormData();
    for (const [key, value] of Object.entries(reply.fields)) form.append(key, value);
    form.append('file', new Blob([data]), `sandbox.${format}`);
    const stored = await fetch(reply.url, { method: 'POST', body: form });
    if (stored.status >= 300) throw new Error(`presigned upload: ${stored.status} ${await stored.text()}`);
  }
  return reply.pfn;
}
