import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from '../../core/logger.js';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { DiracxConnection } from '../http/connection.js';
import { writeFileAtomic } from './atomic-write.js';
import { loadCredentialFile, type LoadedCredentials } from './credential-file.js';
import { assertPrivateFile } from './file-permissions.js';
import { loadProxyCredentials } from './proxy-pem.js';
import { exchangePilotSecret, type VacuumPilotData } from './secret-exchange.js';
import { tokenSetToDocument, type TokenSet } from './token-set.js';

export interface SecretExchangeOptions {
  pilotStamp: string;
  /** The secret itself, or a file holding it (mode 0600). */
  secret?: string;
  secretFile?: string;
  /** Said on a second try after a 401, for a pilot no SiteDirector registered (PR #248). */
  vacuum?: VacuumPilotData;
}

/** Where the pilot's DiracX tokens come from; see docs/diracx.md "Credentials". */
export interface DiracxCredentialOptions {
  /** DiracX JSON credential file; also where exchanged or rotated tokens are written. */
  file?: string;
  /** A DIRAC proxy PEM carrying a `-----BEGIN DIRACX-----` block. */
  proxyFile?: string;
  /** PROPOSAL: exchange a pilot secret at `POST /api/auth/secret-exchange`. */
  secretExchange?: SecretExchangeOptions;
  /** Tokens handed over in memory (embedding, tests); never written anywhere. */
  tokens?: TokenSet;
}

function readSecret(options: SecretExchangeOptions): string {
  if (options.secret) return options.secret;
  if (!options.secretFile) throw new PilotError(ExitCode.CREDENTIALS, 'pilot secret exchange needs a secret or a secret file');
  assertPrivateFile(options.secretFile, 'pilot secret file');
  const secret = readFileSync(options.secretFile, 'utf8').trim();
  if (!secret) throw new PilotError(ExitCode.CREDENTIALS, `pilot secret file ${options.secretFile} is empty`);
  return secret;
}

/**
 * Resolve the configured source into tokens. With a secret exchange and a credential file, a
 * file that already exists wins: pilot secrets are single-use, so a restarted pilot continues
 * with the tokens its predecessor saved.
 */
export async function loadPilotCredentials(
  options: DiracxCredentialOptions,
  connection: DiracxConnection,
  logger: Logger,
): Promise<LoadedCredentials> {
  if (options.tokens) return { tokens: options.tokens, origin: 'tokens given in memory' };
  if (options.secretExchange) {
    if (options.file && existsSync(options.file)) return loadCredentialFile(options.file);
    const exchange = options.secretExchange;
    const tokens = await exchangePilotSecret(connection, exchange.pilotStamp, readSecret(exchange), Date.now, exchange.vacuum);
    const file = options.file;
    if (!file) return { tokens, origin: 'pilot secret exchange', exchanged: true };
    const save = (next: TokenSet) => writeFileAtomic(file, `${JSON.stringify(tokenSetToDocument(next))}\n`);
    await save(tokens).catch((error: unknown) =>
      logger.warn(`could not save exchanged credentials to ${file}: ${(error as Error).message}`),
    );
    return { tokens, save, origin: `pilot secret exchange (saved to ${file})`, exchanged: true };
  }
  if (options.file) return loadCredentialFile(options.file);
  if (options.proxyFile) return loadProxyCredentials(options.proxyFile);
  throw new PilotError(
    ExitCode.CREDENTIALS,
    'no DiracX credentials configured: give a credential file, a proxy with a DIRACX block, or a pilot secret',
  );
}
