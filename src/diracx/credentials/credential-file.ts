import { readFileSync } from 'node:fs';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { writeFileAtomic } from './atomic-write.js';
import { assertPrivateFile } from './file-permissions.js';
import { tokenSetFromDocument, tokenSetToDocument, type TokenSet } from './token-set.js';

export interface LoadedCredentials {
  tokens: TokenSet;
  /** Persist rotated tokens where they came from; absent for in-memory sources. */
  save?: (tokens: TokenSet) => Promise<void>;
  /** For log lines: where the credentials came from (never the tokens). */
  origin: string;
  /** Obtained by this pilot's secret exchange: revoked when the pilot ends (DIRAC pilot PR #248). */
  exchanged?: boolean;
}

/** DiracX's JSON credential file `{access_token, refresh_token, expires_on}`, mode 0600 only. */
export function loadCredentialFile(file: string): LoadedCredentials {
  assertPrivateFile(file, 'credential file');
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PilotError(ExitCode.CREDENTIALS, `credential file ${file} is not JSON: ${(error as Error).message.split('\n')[0]}`);
  }
  return {
    tokens: tokenSetFromDocument(document, `credential file ${file}`),
    save: (tokens) => writeFileAtomic(file, `${JSON.stringify(tokenSetToDocument(tokens))}\n`),
    origin: `credential file ${file}`,
  };
}
