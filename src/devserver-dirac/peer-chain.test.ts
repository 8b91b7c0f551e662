import { X509Certificate } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeCa, makeProxy, makeUser, type Issued } from './pki.js';
import { verifyProxyChain } from './peer-chain.js';

const cert = (issued: Issued): X509Certificate => new X509Certificate(issued.certPem);
let ca: Issued;
let user: Issued;
let proxy: Issued;

beforeAll(async () => {
  ca = await makeCa();
  user = await makeUser(ca);
  proxy = await makeProxy(user);
}, 30_000);

describe('verifyProxyChain', () => {
  it('accepts proxy → user → trusted CA and names the user', () => {
    expect(verifyProxyChain([cert(proxy), cert(user)], [cert(ca)])).toEqual({
      ok: true,
      identityDN: '/DC=org/DC=example/OU=People/CN=Test User',
      proxies: 1,
    });
  });

  it('accepts a proxy of a proxy, and a bare user certificate', async () => {
    const inner = await makeProxy(proxy);
    expect(verifyProxyChain([cert(inner), cert(proxy), cert(user)], [cert(ca)])).toMatchObject({ ok: true, proxies: 2 });
    expect(verifyProxyChain([cert(user)], [cert(ca)])).toMatchObject({ ok: true, proxies: 0 });
  }, 30_000);

  it('refuses an untrusted CA, a missing issuer, an expired proxy', async () => {
    const other = await makeCa('Other CA');
    expect(verifyProxyChain([cert(proxy), cert(user)], [cert(other)])).toEqual({
      ok: false,
      reason: '/DC=org/DC=example/OU=People/CN=Test User is not issued by a trusted CA',
    });
    expect(verifyProxyChain([cert(proxy)], [cert(ca)])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/is not signed by its issuer/),
    });
    const expired = await makeProxy(user, { expired: true });
    expect(verifyProxyChain([cert(expired), cert(user)], [cert(ca)])).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/expired/),
    });
    expect(verifyProxyChain([], [cert(ca)])).toEqual({ ok: false, reason: 'no client certificate' });
  }, 30_000);
});
