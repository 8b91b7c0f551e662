import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Identity } from './auth.js';

/** An error that becomes a FastAPI-style reply: `{"detail": …}` with the given status. */
export class HttpError extends Error {
  /** Set when the client broke the contract (schema, naive timestamp): listed in `violations`. */
  violation = false;
  constructor(
    readonly status: number,
    readonly detail: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
}

/** A contract breach by the client: 422 with FastAPI's issue list, or a 400 like DiracX's own checks. */
export function contractError(status: number, detail: unknown): HttpError {
  const error = new HttpError(status, detail);
  error.violation = true;
  return error;
}

export interface Reply {
  status: number;
  /** Serialised as JSON unless `raw` is given. `undefined` means an empty body. */
  json?: unknown;
  raw?: Buffer | string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RequestContext {
  req: IncomingMessage;
  method: string;
  path: string;
  /** Query values, coerced in place by spec validation (`force=true` → true). */
  query: Record<string, unknown>;
  pathParams: Record<string, string>;
  rawBody: Buffer;
  /** Parsed JSON or form body, once the route asked for it. */
  body: unknown;
  /** `scheme://host` as the client addressed the server (DiracX builds absolute URLs this way). */
  origin: string;
  identity: Identity | null;
}

export type BodyKind = 'json' | 'form' | 'raw' | 'none';

export interface Route {
  method: string;
  /** Path template with `{param}` segments, as in the OpenAPI spec. */
  path: string;
  /** Whether the route needs `Authorization: Bearer <JWT>` (every /api route but auth's). */
  auth: boolean;
  body: BodyKind;
  handler(ctx: RequestContext): Promise<Reply> | Reply;
}

/** decodeURIComponent that answers null instead of throwing on a malformed escape. */
export function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

export function matchTemplate(template: string, path: string): Record<string, string> | null {
  const want = template.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.startsWith('{') && w.endsWith('}')) {
      const decoded = safeDecode(g);
      if (g === '' || decoded === null) return null;
      params[w.slice(1, -1)] = decoded;
    } else if (w !== g) {
      return null;
    }
  }
  return params;
}

export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > maxBytes) throw new HttpError(413, `Request body larger than ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

export function serialiseReply(reply: Reply): { body: Buffer; headers: Record<string, string> } {
  const headers: Record<string, string> = { ...(reply.headers ?? {}) };
  let body: Buffer;
  if (reply.raw !== undefined) {
    body = Buffer.isBuffer(reply.raw) ? reply.raw : Buffer.from(reply.raw);
    headers['content-type'] = reply.contentType ?? 'application/octet-stream';
  } else if (reply.json !== undefined) {
    body = Buffer.from(JSON.stringify(reply.json));
    headers['content-type'] = 'application/json';
  } else {
    body = Buffer.alloc(0);
  }
  headers['content-length'] = String(body.length);
  return { body, headers };
}

export function writeReply(res: ServerResponse, reply: Reply, truncate = false): void {
  const { body, headers } = serialiseReply(reply);
  res.writeHead(reply.status, headers);
  if (truncate && body.length > 1) {
    // Send half of what content-length promised, then cut the connection.
    res.write(body.subarray(0, Math.floor(body.length / 2)));
    res.socket?.destroy();
    return;
  }
  res.end(body);
}

export function errorReply(error: HttpError): Reply {
  return { status: error.status, json: { detail: error.detail }, headers: error.headers };
}

/** A boolean query flag, whether or not validation already coerced it. */
export function queryFlag(ctx: RequestContext, name: string): boolean {
  const value = ctx.query[name];
  return value === true || value === 'true';
}
