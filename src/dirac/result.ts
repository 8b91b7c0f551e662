/**
 * DIRAC's return value, `{OK: true, Value}` or `{OK: false, Errno, Message}`, parsed with zod so a
 * reply of any other shape is a protocol error rather than a crash further on.
 */
import { z } from 'zod';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

const Ok = z.object({ OK: z.literal(true), Value: z.unknown().optional() }).passthrough();
const Err = z
  .object({ OK: z.literal(false), Errno: z.number().int().optional(), Message: z.string().optional().default('') })
  .passthrough();
const Result = z.union([Ok, Err]);

export type DiracResult = { ok: true; value: unknown } | { ok: false; errno: number; message: string };

/** DErrno codes the pilot acts on. */
export const DErrno = {
  ENOAUTH: 1111,
  EWMSNOMATCH: 1510,
  EWMSPLTVER: 1511,
  EWMSNOPILOT: 1550,
} as const;

export function parseDiracResult(raw: unknown, what: string): DiracResult {
  const parsed = Result.safeParse(raw);
  if (!parsed.success) {
    const shape = raw === null ? 'null' : Array.isArray(raw) ? 'a list' : typeof raw;
    throw new PilotError(ExitCode.SERVER_PROTOCOL, `${what}: reply is not a DIRAC result ({OK, Value|Message}), got ${shape}`);
  }
  if (parsed.data.OK) return { ok: true, value: parsed.data.Value ?? null };
  return { ok: false, errno: parsed.data.Errno ?? 0, message: parsed.data.Message };
}

/** The Value of an OK result, or a PilotError carrying the server's message. */
export function expectOk(result: DiracResult, what: string): unknown {
  if (result.ok) return result.value;
  const code = result.errno === DErrno.ENOAUTH ? ExitCode.AUTH_REFUSED : ExitCode.COMMAND_FAILED;
  throw new PilotError(code, `${what} failed: ${result.message}${result.errno ? ` (errno ${result.errno})` : ''}`);
}

/** DIRAC's no-match reply: compare on Errno, fall back on the message for servers that lose it. */
export function isNoMatch(result: DiracResult): boolean {
  return !result.ok && (result.errno === DErrno.EWMSNOMATCH || /No match found/i.test(result.message));
}
