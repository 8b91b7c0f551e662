import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { writeFileAtomic } from './atomic-write.js';
import type { LoadedCredentials } from './credential-file.js';
import { assertPrivateFile } from './file-permissions.js';
import { tokenSetFromDocument, tokenSetToDocument, type TokenSet } from './token-set.js';

const BEGIN = '-----BEGIN DIRACX-----';
const END = '-----END DIRACX-----';
const BLOCK = /-----BEGIN DIRACX-----\r?\n([\s\S]*?)\r?\n?-----END DIRACX-----\r?\n?/g;

/** The JSON credential document carried in a DIRAC proxy's DIRACX block. */
export function extractDiracxBlock(pem: string, where: string): unknown {
  const blocks = [...pem.matchAll(BLOCK)];
  if (blocks.length === 0) throw new PilotError(ExitCode.CREDENTIALS, `${where} has no ${BEGIN} block`);
  if (blocks.length > 1) throw new PilotError(ExitCode.CREDENTIALS, `${where} has ${blocks.length} DIRACX blocks, expected one`);
  const base64 = (blocks[0]?.[1] ?? '').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(base64)) throw new PilotError(ExitCode.CREDENTIALS, `${where}: DIRACX block is not base64`);
  try {
    return JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    throw new PilotError(ExitCode.CREDENTIALS, `${where}: DIRACX block does not hold JSON`);
  }
}

/** `pem` with its DIRACX block replaced by one carrying `tokens` (base64 wrapped at 64, as DIRAC writes it). */
export function replaceDiracxBlock(pem: string, tokens: TokenSet): string {
  const base64 = Buffer.from(JSON.stringify(tokenSetToDocument(tokens)), 'utf8').toString('base64');
  const wrapped = base64.match(/.{1,64}/g)?.join('\n') ?? '';
  const withoutBlock = pem.replace(BLOCK, '');
  const separator = withoutBlock === '' || withoutBlock.endsWith('\n') ? '' : '\n';
  return `${withoutBlock}${separator}${BEGIN}\n${wrapped}\n${END}\n`;
}

/**
 * Tokens from a DIRAC proxy PEM (how legacy DIRAC hands DiracX tokens to pilots). Rotated
 * tokens are written back into the proxy's DIRACX block, leaving its certificates and key as they were.
 */
export function loadProxyCredentials(file: string): LoadedCredentials {
  const mode = assertPrivateFile(file, 'proxy file');
  const where = `proxy file ${file}`;
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PilotError(ExitCode.CREDENTIALS, `cannot read ${where}: ${(error as Error).message}`);
  }
  return {
    tokens: tokenSetFromDocument(extractDiracxBlock(pem, where), where),
    save: async (tokens) => {
      // Re-read: a proxy renewal may have replaced the certificates since we started.
      const current = await readFile(file, 'utf8');
      await writeFileAtomic(file, replaceDiracxBlock(current, tokens), mode);
    },
    origin: where,
  };
}
