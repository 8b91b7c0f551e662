import type { z } from 'zod';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { TokenSource } from '../credentials/token-source.js';
import type { HttpClient, HttpRequest, HttpResponse } from './client.js';
import { DiracxHttpError, errorDetail, jsonBody, parseReply } from './reply.js';
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
  /**
   * What the pilot's stop signal does to this call. `abandon` (default): it ends at once, in
   * flight or in back-off (matching, registration, transfers, heartbeats). `report`: it is how the
   * pilot tells the server what became of its jobs (statuses, reschedule, metadata, the token
   * refresh they need), so it goes on until the stop's reporting deadline, then ends.
   */
  whenStopping?: 'abandon' | 'report';
}

/** How the pilot's stop signal reaches its calls (see CallSpec.whenStopping). */
export interface StopSignals {
  /** Aborted at the stop signal. */
  abandon: AbortSignal;
  /** Aborted when the time for reporting after a stop signal is over. */
  report: AbortSignal;
}

/** After the pilot's lifetime, one attempt still gets this long (a job ending late must be reported). */
export const LATE_ATTEMPT_MS = 10_000;

/**
 * One DiracX call end to end: token, retries, one refresh on 401, reply schema. Everything
 * that fails comes out as a PilotError with the right exit code and the server's detail.
 */
export class DiracxConnection {
  /**
   * Whether any call got a 2xx from the server, and the last call's failure: a pilot that never
   * got one good reply ends with the code of what stopped it (docs/exit-codes.md), not 0.
   */
  readonly contact: { answered: boolean; lastFailure: PilotError | null } = { answered: false, lastFailure: null };

  constructor(
    readonly http: HttpClient,
    readonly retry: RetryPolicy,
    readonly stop: StopSignals | null = null,
  ) {}

  /** The signal that ends a call of this kind, if the connection was given stop signals. */
  signalFor(whenStopping: CallSpec<unknown>['whenStopping']): AbortSignal | undefined {
    if (!this.stop) return undefined;
    return whenStopping === 'report' ? this.stop.report : this.stop.abandon;
  }

  private async sendAuthorized(spec: CallSpec<unknown>, bearer: string | undefined): Promise<HttpResponse> {
    const request: HttpRequest = bearer === undefined ? spec.request : { ...spec.request, bearer };
    const signal = this.signalFor(spec.whenStopping);
    const policy = { ...this.retry, ...spec.retry, ...(signal ? { signal } : {}) };
    const now = policy.now ?? Date.now;
    const attempt = async () => {
      await spec.beforeAttempt?.();
      // No attempt outlives the pilot's lifetime by more than LATE_ATTEMPT_MS.
      const timeoutMs = Math.max(1, Math.min(this.http.requestTimeoutMs, Math.max(policy.deadline() - now(), LATE_ATTEMPT_MS)));
      return this.http.send({ ...request, timeoutMs, ...(signal ? { signal } : {}) });
    };
    return sendWithRetry(attempt, spec.endpoint, spec.idempotent, policy);
  }

  /** Send and return the raw reply once it is 2xx; non-2xx become errors. */
  async send(spec: CallSpec<unknown>): Promise<HttpResponse> {
    try {
      const reply = await this.sendOnce(spec);
      this.contact.answered = true;
      return reply;
    } catch (error) {
      if (error instanceof PilotError) this.contact.lastFailure = error;
      throw error;
    }
  }

  private async sendOnce(spec: CallSpec<unknown>): Promise<HttpResponse> {
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
  return new DiracxHttpError(ExitCode.SERVER_PROTOCOL, endpoint, reply.status, detail, jsonBody(reply.body));
}
