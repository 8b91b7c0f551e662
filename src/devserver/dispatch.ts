import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { ServerCore } from './core.js';
import type { FaultInjector } from './faults.js';
import {
  contractError,
  errorReply,
  HttpError,
  matchTemplate,
  readBody,
  safeDecode,
  writeReply,
  type Reply,
  type RequestContext,
  type Route,
} from './http.js';
import { handleS3Download, handleS3Upload } from './s3-stub.js';
import type { RecordedRequest } from './state.js';
import { describeIssues, type SpecValidator, type ValidationIssue } from './validation.js';

const MAX_JSON_BYTES = 16 * 1024 * 1024;

export interface Dispatcher {
  (req: IncomingMessage, res: ServerResponse): void;
}

function parseBody(route: Route, raw: Buffer, contentType: string): { body: unknown; present: boolean } {
  if (route.body === 'none' || route.body === 'raw') return { body: undefined, present: raw.length > 0 };
  if (raw.length === 0) return { body: undefined, present: false };
  const text = raw.toString('utf8');
  if (route.body === 'form') {
    if (!contentType.startsWith('application/x-www-form-urlencoded')) {
      throw contractError(422, [{ type: 'missing', loc: ['body'], msg: 'Expected an application/x-www-form-urlencoded body' }]);
    }
    return { body: Object.fromEntries(new URLSearchParams(text)), present: true };
  }
  try {
    return { body: JSON.parse(text) as unknown, present: true };
  } catch (error) {
    const issue: ValidationIssue = { type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {} };
    issue.msg = `JSON decode error: ${(error as Error).message}`;
    throw contractError(422, [issue]);
  }
}

const SECRET_FIELDS = new Set(['refresh_token', 'pilot_secret', 'access_token', 'code', 'code_verifier', 'device_code']);

/** `requests` keeps bodies for contract tests; token-bearing fields are kept out of it. */
function redactSecrets(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, SECRET_FIELDS.has(key) ? '[redacted]' : value]));
}

/**
 * The request pipeline, in FastAPI's order: route lookup, bearer auth (401), spec validation (422),
 * then the handler's own policy checks (403) and logic. Faults hit /api routes before all of it;
 * a truncated reply is cut after the handler ran, so the server has acted but the client cannot know.
 */
export function createDispatcher(
  core: ServerCore,
  routes: Route[],
  validator: SpecValidator,
  faults: FaultInjector,
  scheme: 'http' | 'https',
): Dispatcher {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const origin = `${scheme}://${req.headers.host ?? '127.0.0.1'}`;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', origin);
    } catch {
      writeReply(res, { status: 400, json: { detail: 'Malformed request target or Host header' } });
      return;
    }
    const method = req.method ?? 'GET';
    const rawQuery = Object.fromEntries(url.searchParams);
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: rawQuery,
      body: undefined,
      ...(req.headers['user-agent'] ? { userAgent: String(req.headers['user-agent']) } : {}),
    };
    core.state.requests.push(record);
    const finish = (reply: Reply, truncate = false): void => {
      record.status = reply.status;
      writeReply(res, reply, truncate);
    };

    if (url.pathname.startsWith('/s3/')) {
      const [, , bucket = '', ...keyParts] = url.pathname.split('/');
      if (method === 'POST' && keyParts.length === 0) {
        const raw = await readBody(req, core.options.sandboxMaxBytes + 1024 * 1024);
        record.body = { bytes: raw.length };
        finish(await handleS3Upload(core.state, core.presigner, bucket, req.headers, raw, core.options.sandboxMaxBytes));
      } else if (method === 'GET') {
        const key = safeDecode(keyParts.join('/'));
        finish(
          key === null
            ? { status: 400, raw: 'Malformed key', contentType: 'text/plain' }
            : handleS3Download(core.state, core.presigner, bucket, key, rawQuery, req.headers),
        );
      } else {
        finish({ status: 405, raw: 'Method Not Allowed', contentType: 'text/plain' });
      }
      return;
    }

    let truncate = false;
    if (url.pathname.startsWith('/api/')) {
      const fault = faults.decide(url.pathname);
      if (fault.kind === 'drop') {
        record.status = 0;
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'error5xx') return finish({ status: 503, json: { detail: 'Service Unavailable (injected fault)' } });
      if (fault.kind === 'rate429') {
        return finish({
          status: 429,
          json: { detail: 'Too Many Requests (injected fault)' },
          headers: { 'retry-after': String(fault.retryAfterSeconds) },
        });
      }
      if (fault.kind === 'slow') await delay(fault.ms);
      truncate = fault.kind === 'truncate';
    }

    let route: Route | undefined;
    let pathParams: Record<string, string> = {};
    let otherMethod = false;
    for (const candidate of routes) {
      const params = matchTemplate(candidate.path, url.pathname);
      if (!params) continue;
      if (candidate.method !== method) {
        otherMethod = true;
        continue;
      }
      route = candidate;
      pathParams = params;
      break;
    }
    if (!route)
      return finish(otherMethod ? { status: 405, json: { detail: 'Method Not Allowed' } } : { status: 404, json: { detail: 'Not Found' } });

    try {
      const raw = await readBody(req, MAX_JSON_BYTES);
      const ctx: RequestContext = {
        req,
        method,
        path: url.pathname,
        query: { ...rawQuery },
        pathParams,
        rawBody: raw,
        body: undefined,
        origin,
        identity: null,
      };
      if (route.auth) {
        const header = req.headers.authorization ?? '';
        const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
        if (!token) throw new HttpError(401, 'Not authenticated', { 'www-authenticate': 'Bearer' });
        const result = core.tokens.authenticate(token);
        if (!result.ok) throw new HttpError(401, result.detail, { 'www-authenticate': 'Bearer' });
        ctx.identity = result.identity;
      }
      const parsed = parseBody(route, raw, String(req.headers['content-type'] ?? ''));
      ctx.body = parsed.body;
      record.body = redactSecrets(parsed.body);
      if (validator.has(method, route.path)) {
        const issues = validator.validate(method, route.path, {
          query: ctx.query,
          pathParams: ctx.pathParams,
          body: ctx.body,
          bodyPresent: parsed.present,
        });
        if (issues.length > 0) throw contractError(422, issues);
      }
      finish(await route.handler(ctx), truncate);
    } catch (error) {
      if (error instanceof HttpError) {
        if (error.violation) {
          const reason = Array.isArray(error.detail) ? describeIssues(error.detail as ValidationIssue[]) : String(error.detail);
          core.state.violations.push({ method, path: url.pathname, status: error.status, reason });
        }
        finish(errorReply(error), truncate);
        return;
      }
      finish({ status: 500, raw: 'Internal Server Error', contentType: 'text/plain; charset=utf-8' });
      process.emitWarning(`dev server: ${method} ${url.pathname} failed: ${(error as Error).stack ?? String(error)}`);
    }
  };
  return (req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) writeReply(res, error instanceof HttpError ? errorReply(error) : { status: 500, raw: 'Internal Server Error' });
      else res.destroy();
    });
  };
}
