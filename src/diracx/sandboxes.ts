import { SandboxNotFound, type MatchedJob, type OutputSandboxArchive } from '../backend/types.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { TokenSource } from './credentials/token-source.js';
import type { DiracxConnection } from './http/connection.js';
import { replyError } from './http/connection.js';
import { multipartBody } from './http/multipart.js';
import { DiracxHttpError } from './http/reply.js';
import { sendWithRetry } from './http/retry.js';
import { SANDBOX_PFN, SandboxDownloadResponseSchema, SandboxUploadResponseSchema } from './schemas.js';

/**
 * Sandboxes move with the JOB OWNER's token from the match reply: DiracX's sandbox policy needs
 * `NormalUser` and namespaces PFNs per user, so the pilot's own token cannot read or create
 * them. The presigned storage URL is fetched with no Authorization header at all.
 */
export class SandboxClient {
  constructor(
    private readonly connection: DiracxConnection,
    private readonly ownerTokens: (job: MatchedJob) => TokenSource,
  ) {}

  async download(job: MatchedJob, pfn: string, destFile: string): Promise<void> {
    if (pfn.length > 256 || !SANDBOX_PFN.test(pfn)) {
      throw new PilotError(
        ExitCode.COMMAND_FAILED,
        `job ${job.jobId}: input sandbox ${JSON.stringify(pfn.slice(0, 80))} is not a DiracX sandbox PFN`,
      );
    }
    const endpoint = 'GET /api/jobs/sandbox';
    let url: string;
    try {
      ({ url } = await this.connection.call({
        endpoint,
        request: { method: 'GET', target: `/api/jobs/sandbox?${new URLSearchParams({ pfn })}` },
        schema: SandboxDownloadResponseSchema,
        idempotent: true,
        auth: this.ownerTokens(job),
      }));
    } catch (error) {
      // DiracX looks the sandbox up by owner: one it does not have is "not the owner", a 403 that is
      // no credentials problem (the owner's token is fine).
      if (error instanceof DiracxHttpError && error.status === 403 && /not the owner of the sandbox/i.test(error.detail)) {
        throw new SandboxNotFound(pfn, `job ${job.jobId}: input sandbox ${pfn} not found on the server (403: ${error.detail})`);
      }
      throw error;
    }
    const storageLabel = `GET presigned sandbox URL (${new URL(url).host})`;
    // The stop signal cancels the transfer in flight (and the client removes the partial file).
    const signal = this.connection.signalFor('abandon');
    const reply = await sendWithRetry(
      () => this.connection.http.download({ method: 'GET', target: url, ...(signal ? { signal } : {}) }, destFile),
      storageLabel,
      true,
      { ...this.connection.retry, ...(signal ? { signal } : {}) },
    );
    if (reply.status < 200 || reply.status >= 300) throw replyError(storageLabel, reply);
  }

  async uploadOutput(job: MatchedJob, archive: OutputSandboxArchive): Promise<string> {
    if (!/^[0-9a-fA-F]{64}$/.test(archive.sha256) || !Number.isInteger(archive.size) || archive.size < 1) {
      throw new PilotError(ExitCode.INTERNAL, `job ${job.jobId}: output sandbox archive needs a sha256 hex digest and a positive size`);
    }
    const auth = this.ownerTokens(job);
    const initiated = await this.connection.call({
      endpoint: 'POST /api/jobs/sandbox',
      request: {
        method: 'POST',
        target: '/api/jobs/sandbox',
        json: { checksum_algorithm: 'sha256', checksum: archive.sha256.toLowerCase(), size: archive.size, format: archive.format },
      },
      schema: SandboxUploadResponseSchema,
      // Content-addressed: asking twice for the same archive yields the same PFN.
      idempotent: true,
      auth,
    });
    if (!SANDBOX_PFN.test(initiated.pfn)) {
      throw new PilotError(ExitCode.SERVER_PROTOCOL, `POST /api/jobs/sandbox: unexpected reply at pfn: not a sandbox PFN`);
    }
    if (initiated.url) await this.postToStorage(initiated.url, initiated.fields ?? {}, archive);
    try {
      await this.connection.call({
        endpoint: 'PATCH /api/jobs/{job_id}/sandbox/output',
        request: { method: 'PATCH', target: `/api/jobs/${job.jobId}/sandbox/output`, json: initiated.pfn },
        idempotent: true,
        auth,
      });
    } catch (error) {
      // DiracX refuses to map the same sandbox to the same job twice. When an earlier attempt was
      // applied but its reply was lost, the resend meets that refusal: the job already has this
      // (content-addressed) sandbox, which is what was asked.
      if (!(error instanceof DiracxHttpError && error.status === 400 && /already assigned/i.test(error.detail))) throw error;
    }
    return initiated.pfn;
  }

  /** The presigned POST: the returned fields first, the file last (S3 ignores fields after it). */
  private async postToStorage(url: string, fields: Record<string, string>, archive: OutputSandboxArchive): Promise<void> {
    const label = `POST presigned sandbox upload (${new URL(url).host})`;
    const signal = this.connection.signalFor('abandon');
    const reply = await sendWithRetry(
      async () => {
        const form = await multipartBody(Object.entries(fields), {
          field: 'file',
          filename: `sandbox.${archive.format}`,
          path: archive.path,
        });
        return this.connection.http.send({ method: 'POST', target: url, multipart: form, ...(signal ? { signal } : {}) });
      },
      label,
      true,
      { ...this.connection.retry, ...(signal ? { signal } : {}) },
    );
    if (reply.status < 200 || reply.status >= 300) throw replyError(label, reply);
  }
}
