import type { z } from 'zod';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { TokenSource } from '../credentials/token-source.js';
import type { HttpClient, HttpRequest, HttpResponse } from './client.js';
import { DiracxHttpError, errorDetail, parseReply } from './reply.js';
import { sendWithRetry, type RetryPolicy } from './retry.js';

export interface CallSpec<T> {
  /** `METHOD /path` as the spec names it: used in every error message. */
  endpoint: string;
  request: Omit<HttpRequest, 'bearer'>;
  /** Reply schema for 2xx; omitted means the body is ignored. */
  schema?: z.ZodType<T>;
  /** May the request be repeated after an ambiguous failure without changing the outcome? */
  idempotent: boolean;
  /** Whose token; null sends no Authorization header. */
  auth: TokenSource | null;
  /** Awaited before every attempt, retries included (heartbeat pacing). */
  beforeAttempt?: () => Promise<void>;
  /** Narrower retry budget than the connection's (e.g. heartbeats, which are resent anyway). */
  retry?: Partial<RetryPolicy>;
}

/**
 * One DiracX call end to end: token, retries, one refresh on 401, reply schema. Everything
 * that fails comes out as a PilotError with the right exit code and the server's detail.
 */
export class DiracxConnection {
  constructor(
    readonly http: HttpClient,
    readonly retry: RetryPolicy,
  ) {}

  private async sendAuthorized(spec: CallSpec<unknown>, bearer: string | undefined): Promise<HttpResponse> {
    const request: HttpRequest = bearer === undefined ? spec.request : { ...spec.request, bearer };
    const attempt = async () => {
      await spec.beforeAttempt?.();
      return this.http.send(request);
    };
    return sendWithRetry(attempt, spec.endpoint, spec.idempotent, { ...this.retry, ...spec.retry });
  }

  /** Send and return the raw reply once it is 2xx; non-2xx become errors. */
  async send(spec: CallSpec<unknown>): Promise<HttpResponse> {
    let bearer = spec.auth ? await spec.auth.accessToken() : undefined;
    let reply = await this.sendAuthorized(spec, bearer);
    if (reply.status === 401 && spec.auth && bearer !== undefined) {
      bearer = await spec.auth.renewAfterRejection(bearer);
      reply = await this.sendAuthorized(spec, bearer);
    }
    if (reply.status >= 200 && reply.status < 300) return reply;
    throw replyError(spec.endpoint, reply);
  }

  async call<T>(spec: CallSpec<T>): Promise<T> {
    const reply = await this.send(spec);
    return spec.schema ? parseReply(spec.endpoint, reply, spec.schema) : (undefined as T);
  }
}

export function replyError(endpoint: string, reply: HttpResponse): PilotError {
  const detail = errorDetail(reply.body);
  if (reply.status === 401 || reply.status === 403) {
    return new DiracxHttpError(ExitCode.AUTH_REFUSED, `${endpoint}: server refused the credentials`, reply.status, detail);
  }
  // 5xx and 429 only get here once the retry budget is spent.
  if (reply.status >= 500 || reply.status === 429 || reply.status === 408) {
    return new DiracxHttpError(ExitCode.SERVER_UNREACHABLE, endpoint, reply.status, detail);
  }
  return new DiracxHttpError(ExitCode.SERVER_PROTOCOL, endpoint, reply.status, detail);
}
