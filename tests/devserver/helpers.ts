import type { DevServer } from '../../src/devserver/index.js';

export interface CallOptions {
  token?: string;
  json?: unknown;
  form?: Record<string, string>;
  headers?: Record<string, string>;
  rawBody?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

/** One request to the dev server with fetch; the body comes back as text and, when it parses, JSON. */
export async function call(server: DevServer, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body: string | undefined;
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  } else if (options.rawBody !== undefined) {
    headers['content-type'] = 'application/json';
    body = options.rawBody;
  }
  const response = await fetch(new URL(path, server.url), { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

export const HELLO_JDL_FIELDS = { JobName: 'unit', Executable: 'run.sh', Arguments: 'a b', OutputSandbox: ['std.out'], CPUTime: 100 };

/** An aware timestamp `offsetMs` after a fixed base, in DiracX's wire form. */
export function stamp(offsetMs = 0): string {
  return new Date(Date.UTC(2026, 0, 1, 12, 0, 0) + offsetMs).toISOString().replace('T', ' ').replace('Z', '+00:00');
}
