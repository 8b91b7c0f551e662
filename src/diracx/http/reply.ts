import type { z } from 'zod';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { HttpResponse } from './client.js';

const MAX_DETAIL = 300;

/** A non-2xx reply the caller may want to branch on (404, 409…), with the server's `detail`. */
export class DiracxHttpError extends PilotError {
  readonly status: number;
  readonly detail: string;
  /** The reply body parsed as JSON, when it was (for callers that branch on its structure). */
  readonly body: unknown;
  constructor(exitCode: ExitCode, endpoint: string, status: number, detail: string, body?: unknown) {
    super(exitCode, `${endpoint}: HTTP ${status}${detail ? `: ${detail}` : ''}`);
    this.name = 'DiracxHttpError';
    this.status = status;
    this.detail = detail;
    this.body = body;
  }
}

/** The body as JSON, or undefined. */
export function jsonBody(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_DETAIL ? `${flat.slice(0, MAX_DETAIL)}…` : flat;
}

/**
 * The server's explanation of an error reply, as one line: FastAPI's `{"detail": "…"}`,
 * its validation list `{"detail": [{loc, msg}]}`, OAuth's `{"error", "error_description"}`,
 * or the raw text.
 */
export function errorDetail(body: Buffer): string {
  const text = body.toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return oneLine(text);
  }
  if (parsed && typeof parsed === 'object') {
    const record = parsed as Record<string, unknown>;
    const detail = record.detail;
    if (typeof detail === 'string') return oneLine(detail);
    if (Array.isArray(detail)) {
      return oneLine(
        detail
          .map((item) => {
            if (!item || typeof item !== 'object') return String(item);
            const { loc, msg } = item as { loc?: unknown; msg?: unknown };
            const where = Array.isArray(loc) ? loc.join('.') : '';
            return where ? `${where}: ${String(msg)}` : String(msg);
          })
          .join('; '),
      );
    }
    if (detail && typeof detail === 'object') return oneLine(JSON.stringify(detail));
    if (typeof record.error === 'string') {
      return oneLine(typeof record.error_description === 'string' ? `${record.error}: ${record.error_description}` : record.error);
    }
  }
  return oneLine(text);
}

/** Parse a 2xx reply body through `schema`; anything that does not fit is SERVER_PROTOCOL. */
export function parseReply<T>(endpoint: string, reply: HttpResponse, schema: z.ZodType<T>): T {
  const text = reply.body.toString('utf8');
  let json: unknown = undefined;
  if (text.trim() !== '') {
    try {
      json = JSON.parse(text);
    } catch {
      throw new PilotError(ExitCode.SERVER_PROTOCOL, `${endpoint}: reply is not JSON: ${oneLine(text).slice(0, 80)}`);
    }
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(body)';
    throw new PilotError(
      ExitCode.SERVER_PROTOCOL,
      `${endpoint}: unexpected reply at ${field}: ${issue?.message ?? 'does not match the schema'}`,
    );
  }
  return result.data;
}
