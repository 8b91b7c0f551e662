/**
 * A throw-away PKI for tests: CA, host certificate (localhost / 127.0.0.1), user certificate and
 * RFC 3820 proxies (valid or expired), generated in-process so no test depends on files from
 * outside the repository.
 */
import { webcrypto } from 'node:crypto';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { x509 } from '../dirac/x509/peculiar.js';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type CryptoKey = webcrypto.CryptoKey;

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
/** ProxyCertInfo { ProxyPolicy { id-ppl-inheritAll } } in DER (RFC 3820 §3.8). */
const PROXY_CERT_INFO = new Uint8Array([0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x15, 0x01]);

type JsonName = { [type: string]: string[] }[];

export interface Issued {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
  name: JsonName;
  certPem: string;
  keyPem: string;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
}

async function pkcs8Pem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PRIVATE KEY-----\n`;
}

let serial = 1;
async function issue(
  name: JsonName,
  issuer: Issued | undefined,
  extensions: x509.Extension[],
  validity: { from: Date; to: Date },
): Promise<Issued> {
  const keys = await keyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    subject: new x509.Name(name),
    issuer: new x509.Name(issuer ? issuer.name : name),
    notBefore: validity.from,
    notAfter: validity.to,
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: issuer ? issuer.keys.privateKey : keys.privateKey,
    extensions: [...extensions, await x509.SubjectKeyIdentifierExtension.create(keys.publicKey)],
  });
  return { cert, keys, name, certPem: `${cert.toString('pem')}\n`, keyPem: await pkcs8Pem(keys.privateKey) };
}

const DAY = 86_400_000;
const around = (now: number): { from: Date; to: Date } => ({ from: new Date(now - DAY), to: new Date(now + 30 * DAY) });

export async function makeCa(cn = 'Test Grid CA'): Promise<Issued> {
  return issue(
    [{ DC: ['org'] }, { DC: ['example'] }, { CN: [cn] }],
    undefined,
    [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
    around(Date.now()),
  );
}

export async function makeHost(ca: Issued, host = 'localhost'): Promise<Issued> {
  return issue(
    [{ DC: ['org'] }, { DC: ['example'] }, { CN: [host] }],
    ca,
    [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: host },
        { type: 'ip', value: '127.0.0.1' },
      ]),
    ],
    around(Date.now()),
  );
}

export async function makeUser(ca: Issued, cn = 'Test User'): Promise<Issued> {
  return issue(
    [{ DC: ['org'] }, { DC: ['example'] }, { OU: ['People'] }, { CN: [cn] }],
    ca,
    [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
    around(Date.now()),
  );
}

/** An RFC 3820 proxy of `user`; `expired` puts its validity entirely in the past. */
export async function makeProxy(user: Issued, options: { expired?: boolean } = {}): Promise<Issued> {
  const now = Date.now();
  const validity = options.expired
    ? { from: new Date(now - 3 * DAY), to: new Date(now - DAY) }
    : { from: new Date(now - 60_000), to: new Date(now + DAY) };
  return issue(
    [...user.name, { CN: [String(Math.floor(Math.random() * 1e9))] }],
    user,
    [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.Extension('1.3.6.1.5.5.7.1.14', true, PROXY_CERT_INFO),
    ],
    validity,
  );
}

/** The proxy file layout: proxy cert, its key, then the user certificate. */
export function proxyFileText(proxy: Issued, user: Issued): string {
  return proxy.certPem + proxy.keyPem + user.certPem;
}

export interface TestPki {
  dir: string;
  caDir: string;
  ca: Issued;
  host: Issued;
  user: Issued;
  proxyPath: string;
  expiredProxyPath: string;
  hostCertPath: string;
  hostKeyPath: string;
  caPath: string;
}

export async function writeTestPki(dir: string): Promise<TestPki> {
  const ca = await makeCa();
  const host = await makeHost(ca);
  const user = await makeUser(ca);
  const proxy = await makeProxy(user);
  const expired = await makeProxy(user, { expired: true });
  const caDir = join(dir, 'certificates');
  await mkdir(caDir, { recursive: true });
  const caPath = join(caDir, 'test-ca.pem');
  await writeFile(caPath, ca.certPem);
  await writeFile(join(caDir, 'test-ca.signing_policy'), 'access_id_CA X509 "/DC=org/DC=example/CN=Test Grid CA"\n');
  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text, { mode: 0o600 });
    await chmod(path, 0o600);
    return path;
  };
  return {
    dir,
    caDir,
    ca,
    host,
    user,
    caPath,
    proxyPath: await write('proxy.pem', proxyFileText(proxy, user)),
    expiredProxyPath: await write('proxy-expired.pem', proxyFileText(expired, user)),
    hostCertPath: await write('hostcert.pem', host.certPem),
    hostKeyPath: await write('hostkey.pem', host.keyPem),
  };
}

/**
 * Signs a PKCS#10 request as an RFC 3820 proxy of `user`: what ProxyManager.getProxy does with the
 * user's stored credentials. Returns the PEM chain (proxy, then user), without any key.
 */
export async function signProxyRequest(user: Issued, csrPem: string, lifetimeSeconds: number): Promise<string> {
  const csr = new x509.Pkcs10CertificateRequest(csrPem);
  if (!(await csr.verify())) throw new Error('CSR signature does not verify');
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: (serial++).toString(16).padStart(4, '0'),
    subject: new x509.Name([...user.name, { CN: [String(Math.floor(Math.random() * 1e9))] }]),
    issuer: new x509.Name(user.name),
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + lifetimeSeconds * 1000),
    signingAlgorithm: ALG,
    publicKey: await csr.publicKey.export(ALG, ['verify']),
    signingKey: user.keys.privateKey,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.Extension('1.3.6.1.5.5.7.1.14', true, PROXY_CERT_INFO),
    ],
  });
  return `${cert.toString('pem')}\n${user.certPem}`;
}
