import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../core/exit-codes.js';
import { extractDiracxBlock, loadProxyCredentials, replaceDiracxBlock } from './proxy-pem.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIEfake\n-----END PRIVATE KEY-----\n';

/** A proxy as DIRAC writes it: certificate, key, then the DIRACX block, base64 wrapped at 64 columns. */
function diracProxy(document: object): string {
  const base64 = Buffer.from(JSON.stringify(document)).toString('base64');
  return `${CERT}${KEY}-----BEGIN DIRACX-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END DIRACX-----\n`;
}

const DOC = { access_token: 'eyJhbGciOi.access', refresh_token: 'eyJhbGciOi.refresh', expires_on: 1_795_000_000 };

describe('DIRAC proxy with a DIRACX block', () => {
  it('reads the credential document from the block', () => {
    expect(extractDiracxBlock(diracProxy(DOC), 'proxy')).toEqual(DOC);
  });

  it('loads the tokens, expires_on in epoch seconds', () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dx-pem-')), 'x509up_u1000');
    writeFileSync(file, diracProxy(DOC), { mode: 0o600 });
    expect(loadProxyCredentials(file).tokens).toEqual({
      accessToken: DOC.access_token,
      refreshToken: DOC.refresh_token,
      expiresAt: DOC.expires_on * 1000,
    });
  });

  it('writes rotated tokens back into the block, keeping the certificate, the key and the mode', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dx-pem-')), 'x509up_u1000');
    writeFileSync(file, diracProxy(DOC), { mode: 0o600 });
    const loaded = loadProxyCredentials(file);
    await loaded.save!({ accessToken: 'new-access', refreshToken: 'new-refresh', expiresAt: 1_800_000_000_000 });
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith(CERT + KEY)).toBe(true);
    expect(text.match(/BEGIN DIRACX/g)).toHaveLength(1);
    expect(extractDiracxBlock(text, 'proxy')).toEqual({
      access_token: 'new-access',
      refresh_token: 'new-refresh',
      expires_on: 1_800_000_000,
    });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(replaceDiracxBlock(CERT, { accessToken: 'a', refreshToken: null, expiresAt: 0 })).toMatch(
      /^-----BEGIN CERTIFICATE-----[\s\S]+-----END DIRACX-----\n$/,
    );
  });

  it('explains what is wrong with a proxy that has no usable block', () => {
    expect(() => extractDiracxBlock(CERT + KEY, 'proxy file /tmp/x')).toThrow('proxy file /tmp/x has no -----BEGIN DIRACX----- block');
    expect(() => extractDiracxBlock(`${CERT}-----BEGIN DIRACX-----\n!!!\n-----END DIRACX-----\n`, 'p')).toThrow(
      'p: DIRACX block is not base64',
    );
    expect(() => extractDiracxBlock(diracProxy(DOC) + diracProxy(DOC), 'p')).toThrow('p has 2 DIRACX blocks, expected one');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'dx-pem-')), 'x509up_u1000');
    writeFileSync(file, diracProxy(DOC), { mode: 0o640 });
    expect(() => loadProxyCredentials(file)).toThrow(expect.objectContaining({ exitCode: ExitCode.CREDENTIALS }));
  });
});
