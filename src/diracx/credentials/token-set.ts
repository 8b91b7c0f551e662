import { z } from 'zod';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { TokenResponse } from '../schemas.js';

/** The pilot's token pair; `expiresAt` in epoch ms. */
export interface TokenSet {
  accessToken: string;
  refreshToken: string | null;
  expiresAt: number;
}

/**
 * DiracX's client credential document (`diracx.core.utils.serialize_credentials`): the same JSON
 * in `~/.cache/diracx/credentials.json` and, base64-encoded, in a proxy's DIRACX block.
 * `expires_on` is epoch seconds; an ISO date is accepted too.
 */
export const CredentialDocumentSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1).nullish(),
  expires_on: z.union([z.number(), z.string().datetime({ offset: true })]),
});

export function tokenSetFromDocument(document: unknown, where: string): TokenSet {
  const result = CredentialDocumentSchema.safeParse(document);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue && issue.path.length > 0 ? issue.path.join('.') : '(document)';
    throw new PilotError(ExitCode.CREDENTIALS, `${where}: bad credential document at ${field}: ${issue?.message ?? 'invalid'}`);
  }
  const { access_token, refresh_token, expires_on } = result.data;
  const expiresAt = typeof expires_on === 'number' ? expires_on * 1000 : Date.parse(expires_on);
  return { accessToken: access_token, refreshToken: refresh_token ?? null, expiresAt };
}

export function tokenSetToDocument(tokens: TokenSet): Record<string, unknown> {
  return {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    expires_on: Math.floor(tokens.expiresAt / 1000),
  };
}

export function tokenSetFromResponse(reply: TokenResponse, receivedAt: number): TokenSet {
  return {
    accessToken: reply.access_token,
    refreshToken: reply.refresh_token ?? null,
    expiresAt: receivedAt + reply.expires_in * 1000,
  };
}
