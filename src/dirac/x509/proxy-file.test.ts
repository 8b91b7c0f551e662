import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeProxy, makeUser, proxyFileText, signProxyRequest, type Issued } from '../../devserver-dirac/pki.js';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { makeProxyRequest, writePayloadProxy } from './payload-proxy.js';
import { assertProxyValid, loadProxyFile, parseProxyPem } from './proxy-file.js';

let dir: string;
let user: Issued;
let proxy: Issued;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'proxy-file-'));
  user = await makeUser(await makeCa());
  proxy = await makeProxy(user);
}, 30_000);
afterAll(async () => rm(dir, { recursive: true, force: true }));

describe('proxy files', () => {
  it('reads cert, key, chain and the DIRACX block, naming the end-entity DN', () => {
    const tokens = Buffer.from(JSON.stringify({ access_token: 'a', refresh_token: 'r', expires_on: 1 })).toString('base64');
    const text = `${proxyFileText(proxy, user)}-----BEGIN DIRACX-----\n${tokens}\n-----END DIRACX-----\n`;
    const parsed = parseProxyPem(text, 'x509up_u1000');
    expect(parsed.certificates).toHaveLength(2);
    expect(parsed.identityDN).toBe('/DC=org/DC=example/OU=People/CN=Test User');
    expect(parsed.diracx).toEqual({ access_token: 'a', refresh_token: 'r', expires_on: 1 });
  });

  it('refuses a key that is not the proxy key, and a file without a key', () => {
    expect(() => parseProxyPem(proxy.certPem + user.keyPem + user.certPem, 'p')).toThrow(
      /the private key does not belong to the first certificate/,
    );
    expect(() => parseProxyPem(proxy.certPem, 'p')).toThrow(/expected one private key block, found 0/);
    expect(() => parseProxyPem('garbage', 'p')).toThrow(/proxy p: no CERTIFICATE block/);
  });

  it('refuses a proxy file others can read', async () => {
    const path = join(dir, 'open.pem');
    await writeFile(path, proxyFileText(proxy, user));
    await chmod(path, 0o644);
    const error = await loadProxyFile(path).catch((e: unknown) => e);
    expect((error as PilotError).exitCode).toBe(ExitCode.CREDENTIALS);
    expect((error as PilotError).message).toMatch(/mode 644 lets others read the key; chmod 600 it/);
  });

  it('refuses an expired proxy with ExitCode.TLS', async () => {
    const expired = parseProxyPem(proxyFileText(await makeProxy(user, { expired: true }), user), 'old.pem');
    expect(() => assertProxyValid(expired)).toThrow(/proxy old\.pem: expired at/);
  }, 30_000);
});

describe('payload proxy delegation', () => {
  it('builds a CSR whose signed chain plus our key makes a 0600 proxy of the owner', async () => {
    const request = await makeProxyRequest();
    expect(request.csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    const chain = await signProxyRequest(user, request.csrPem, 3600);
    expect(chain).not.toMatch(/PRIVATE KEY/);
    const path = join(dir, 'payload.pem');
    const written = await writePayloadProxy(path, chain, request);
    expect(written.identityDN).toBe('/DC=org/DC=example/OU=People/CN=Test User');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await loadProxyFile(path)).certificates).toHaveLength(2);
  }, 30_000);

  it('refuses a chain signed for another key', async () => {
    const request = await makeProxyRequest();
    const other = await makeProxyRequest();
    const chain = await signProxyRequest(user, other.csrPem, 3600);
    await expect(writePayloadProxy(join(dir, 'wrong.pem'), chain, request)).rejects.toThrow(/does not belong/);
  }, 30_000);
});
