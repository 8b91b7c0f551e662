import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { DiracxConnection } from '../http/connection.js';
import { DiracxHttpError } from '../http/reply.js';
import { TokenResponseSchema } from '../schemas.js';
import { tokenSetFromResponse, type TokenSet } from './token-set.js';

/**
 * PROPOSAL (diracx PRs #421/#468/#550, not in DiracX main): trade a single-use pilot secret for
 * a pilot token pair. Not idempotent (the secret is spent), so no retry once it may have arrived.
 */
export async function exchangePilotSecret(
  connection: DiracxConnection,
  pilotStamp: string,
  pilotSecret: string,
  now: () => number = Date.now,
): Promise<TokenSet> {
  try {
    const reply = await connection.call({
      endpoint: 'POST /api/auth/secret-exchange',
      request: { method: 'POST', target: '/api/auth/secret-exchange', json: { pilot_stamp: pilotStamp, pilot_secret: pilotSecret } },
      schema: TokenResponseSchema,
      idempotent: false,
      auth: null,
    });
    return tokenSetFromResponse(reply, now());
  } catch (error) {
    if (error instanceof DiracxHttpError && error.status >= 400 && error.status < 500) {
      throw new PilotError(ExitCode.AUTH_REFUSED, `pilot secret exchange refused (HTTP ${error.status}): ${error.detail || 'no detail'}`);
    }
    throw error;
  }
}
