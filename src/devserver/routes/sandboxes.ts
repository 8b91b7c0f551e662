import { requireManage, requireNormalUser, type ServerCore } from '../core.js';
import { HttpError, type Route } from '../http.js';
import { namespaceOf } from '../state.js';
import { sandboxPfn } from '../submission.js';

/** `SB:SandboxSE|/S3/<bucket>/<key>` → `{ bucket, key }`; the spec's pattern already checked the form. */
export function splitPfn(pfn: string): { bucket: string; key: string } | null {
  const short = pfn.replace(/^SB:[A-Za-z]+\|/, '');
  const match = /^\/S3\/([^/]+)\/(.+)$/.exec(short);
  return match ? { bucket: match[1]!, key: match[2]! } : null;
}

/** POST /api/jobs/sandbox: NormalUser only; a presigned POST pinning size and sha256. */
function initiateUpload(core: ServerCore): Route {
  return {
    method: 'POST',
    path: '/api/jobs/sandbox',
    auth: true,
    body: 'json',
    handler(ctx) {
      const identity = requireNormalUser(ctx);
      const info = ctx.body as { checksum: string; size: number; format: string };
      if (info.size > core.options.sandboxMaxBytes) {
        throw new HttpError(400, `Sandbox too large. Max size is ${core.options.sandboxMaxBytes} bytes`);
      }
      const checksum = info.checksum.toLowerCase();
      const namespace = namespaceOf(identity);
      const key = `${namespace}/sha256:${checksum}.${info.format}`;
      const pfn = sandboxPfn(core.state, key);
      if (core.state.objects.has(key)) return { status: 200, json: { pfn, url: null, fields: {} } };
      core.state.pendingUploads.set(key, { sha256: checksum, size: info.size, namespace });
      const form = core.presigner.postForm(ctx.origin, core.state.bucket, key, info.size, checksum, core.options.presignTtlSeconds);
      return { status: 200, json: { pfn, url: form.url, fields: form.fields } };
    },
  };
}

/** GET /api/jobs/sandbox?pfn=: NormalUser, only under the caller's own namespace, and only a sandbox the server knows. */
function getSandboxFile(core: ServerCore): Route {
  return {
    method: 'GET',
    path: '/api/jobs/sandbox',
    auth: true,
    body: 'none',
    handler(ctx) {
      const identity = requireNormalUser(ctx);
      const pfn = String(ctx.query.pfn);
      const parts = splitPfn(pfn);
      const required = `${namespaceOf(identity)}/`;
      if (!parts || parts.bucket !== core.state.bucket || !parts.key.startsWith(required)) {
        throw new HttpError(403, `Invalid PFN. PFN must start with /S3/${core.state.bucket}/${required}`);
      }
      // DiracX looks the sandbox up by owner: one it never registered (initiated) is "not yours", a 403, not a 404.
      if (!core.state.objects.has(parts.key) && !core.state.pendingUploads.has(parts.key)) {
        throw new HttpError(403, `${identity.preferredUsername} is not the owner of the sandbox`);
      }
      const url = core.presigner.getUrl(ctx.origin, parts.bucket, parts.key, core.options.presignTtlSeconds);
      return { status: 200, json: { url, expires_in: core.options.presignTtlSeconds } };
    },
  };
}

/** PATCH /api/jobs/{job_id}/sandbox/output: body is the PFN as a bare JSON string. */
function assignOutputSandbox(core: ServerCore): Route {
  return {
    method: 'PATCH',
    path: '/api/jobs/{job_id}/sandbox/output',
    auth: true,
    body: 'json',
    handler(ctx) {
      const jobId = Number(ctx.pathParams.job_id);
      requireManage(core, ctx, [jobId]);
      const job = core.state.jobs.get(jobId);
      if (!job) throw new HttpError(404, `Job ${jobId} not found`);
      const pfn = ctx.body as string;
      const parts = splitPfn(pfn);
      // Stricter than DiracX, which registers the sandbox at initiate time: here it must be uploaded.
      if (!parts || parts.bucket !== core.state.bucket || !core.state.objects.has(parts.key)) throw new HttpError(400, 'Sandbox not found');
      if (job.outputSandboxPfn === pfn) throw new HttpError(400, 'Sandbox already assigned');
      job.outputSandboxPfn = pfn;
      return { status: 200, json: null };
    },
  };
}

export function sandboxRoutes(core: ServerCore): Route[] {
  return [initiateUpload(core), getSandboxFile(core), assignOutputSandbox(core)];
}
