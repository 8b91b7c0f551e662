import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { DiracxConnection } from '../http/connection.js';
import { DiracxHttpError } from '../http/reply.js';
import { TokenResponseSchema } from '../schemas.js';
import { tokenSetFromResponse, type TokenSet } from './token-set.js';

/** What a pilot no SiteDirector registered says about itself (DIRAC pilot PR #248's "vacuum" case). */
export interface VacuumPilotData {
  vo: string;
  gridType: string;
  gridSite: string;
}

/**
 * PROPOSAL (diracx PRs #421/#468/#550, not in DiracX main): trade a single-use pilot secret for
 * a pilot token pair. Not idempotent (the secret is spent), so no retry once it may have arrived,
 * except the one the DIRAC pilot makes (PR #248): a 401 may mean the stamp is unknown because no
 * SiteDirector registered this pilot (vacuum resources), so it asks once more saying who it is
 * (VO, grid type, site, status Running) and the server registers it.
 */
export async function exchangePilotSecret(
  connection: DiracxConnection,
  pilotStamp: string,
  pilotSecret: string,
  now: () => number = Date.now,
  vacuum?: VacuumPilotData,
): Promise<TokenSet> {
  const ask = async (json: Record<string, string>): Promise<TokenSet> => {
    const reply = await connection.call({
      endpoint: 'POST /api/auth/secret-exchange',
      request: { method: 'POST', target: '/api/auth/secret-exchange', json },
      schema: TokenResponseSchema,
      idempotent: false,
      auth: null,
    });
    return tokenSetFromResponse(reply, now());
  };
  const refused = (error: DiracxHttpError) =>
    new PilotError(ExitCode.AUTH_REFUSED, `pilot secret exchange refused (HTTP ${error.status}): ${error.detail || 'no detail'}`);
  const base = { pilot_stamp: pilotStamp, pilot_secret: pilotSecret };
  try {
    return await ask(base);
  } catch (error) {
    if (!(error instanceof DiracxHttpError) || error.status < 400 || error.status >= 500) throw error;
    if (error.status !== 401 || !vacuum) throw refused(error);
  }
  try {
    return await ask({ ...base, vo: vacuum.vo, grid_type: vacuum.gridType, grid_site: vacuum.gridSite, status: 'Running' });
  } catch (error) {
    if (error instanceof DiracxHttpError && error.status >= 400 && error.status < 500) throw refused(error);
    throw error;
  }
}
