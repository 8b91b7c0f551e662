/**
 * v9's `addTokenToPEM` (Core/Security/DiracX.py), as `ProxyManagerClient.dumpProxyToFile` runs it
 * on every proxy it writes: ask ProxyManager's `exchangeProxyForToken`, with that proxy as the
 * client's credentials, for a DiracX token of the same identity, and append it to the file as a
 * `-----BEGIN DIRACX-----` block (base64 of `{access_token, refresh_token, expires_on}`, 64
 * characters a line). A payload proxy then carries its owner's DiracX token, as in v9.
 */
import { appendFile } from 'node:fs/promises';
import { z } from 'zod';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { expectOk } from './result.js';
import type { ServiceCaller } from './services.js';

const TokenReply = z
  .object({ access_token: z.string().min(1), expires_in: z.number().int().nonnegative(), refresh_token: z.string().nullish() })
  .passthrough();

/** The PEM block for a token reply; `now` in epoch milliseconds. */
export function diracxPemBlock(
  token: { access_token: string; refresh_token?: string | null | undefined; expires_in: number },
  now = Date.now(),
): string {
  const document = {
    access_token: token.access_token,
    refresh_token: token.refresh_token ?? null,
    expires_on: Math.floor(now / 1000) + token.expires_in,
  };
  const base64 = Buffer.from(JSON.stringify(document), 'utf8').toString('base64');
  return `-----BEGIN DIRACX-----\n${base64.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END DIRACX-----\n`;
}

/** exchangeProxyForToken through `caller` (which holds the proxy), then the block appended to `path`. */
export async function addDiracxTokenToProxy(caller: ServiceCaller, path: string): Promise<void> {
  const value = expectOk(await caller.call('Framework/ProxyManager', 'exchangeProxyForToken', []), 'ProxyManager.exchangeProxyForToken');
  const token = TokenReply.safeParse(value);
  if (!token.success) {
    throw new PilotError(ExitCode.SERVER_PROTOCOL, 'ProxyManager.exchangeProxyForToken did not return {access_token, expires_in}');
  }
  await appendFile(path, diracxPemBlock(token.data));
}
