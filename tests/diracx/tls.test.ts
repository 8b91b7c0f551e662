import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiracxBackend } from '../../src/diracx/index.js';
import { loadCaDirectory } from '../../src/diracx/http/tls.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { silentLogger } from '../../src/core/logger.js';
import { startFakeDiracx, type FakeServer } from './fake-diracx.js';

const TOKENS = { accessToken: 'a', refreshToken: 'r', expiresAt: Date.now() + 3_600_000 };

function openssl(args: string[], cwd: string): string {
  return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
}

/** A CA and a server certificate for 127.0.0.1 signed by it, made with the openssl CLI. */
function makeCa(dir: string, name: string): { caPem: string; cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      `/CN=${name} test CA`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  openssl(
    [
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    ],
    dir,
  );
  writeFileSync(
    path.join(dir, 'ext.cnf'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.pem',
      '-days',
      '1',
      '-extfile',
      'ext.cnf',
    ],
    dir,
  );
  return {
    caPem: readFileSync(path.join(dir, 'ca.pem'), 'utf8'),
    cert: readFileSync(path.join(dir, 'server.pem'), 'utf8'),
    key: readFileSync(path.join(dir, 'server.key'), 'utf8'),
  };
}

/** A grid-style CA directory: `<subject hash>.0` linking to the PEM, plus the usual non-certificate files. */
function gridCaDir(root: string, caPem: string, label: string): string {
  const dir = path.join(root, `certificates-${label}`);
  mkdirSync(dir);
  writeFileSync(path.join(dir, `${label}.pem`), caPem);
  const hash = openssl(['x509', '-hash', '-noout', '-in', `${label}.pem`], dir).trim();
  symlinkSync(`${label}.pem`, path.join(dir, `${hash}.0`));
  writeFileSync(path.join(dir, `${hash}.signing_policy`), 'access_id_CA X509 ...\n');
  writeFileSync(path.join(dir, `${hash}.namespaces`), 'TO Issuer ...\n');
  symlinkSync('missing.pem', path.join(dir, 'deadbeef.1')); // dangling links exist in real CA dirs
  return dir;
}

let root: string;
let good: ReturnType<typeof makeCa>;
let other: ReturnType<typeof makeCa>;
let server: FakeServer;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'dx-tls-'));
  good = makeCa(path.join(root, 'good'), 'good');
  other = makeCa(path.join(root, 'other'), 'other');
  server = await startFakeDiracx({ 'PATCH /api/jobs/metadata': () => ({ status: 204 }) }, { cert: good.cert, key: good.key });
});
afterAll(async () => {
  await server?.close();
});

describe('TLS trust', () => {
  it('reads the hashed certificates of a grid CA directory and ignores policies and dangling links', () => {
    const dir = gridCaDir(root, good.caPem, 'listing');
    expect(loadCaDirectory(dir)).toEqual([good.caPem.trim()]);
  });

  it('accepts a server whose CA is in the X509_CERT_DIR-style directory', async () => {
    const backend = await createDiracxBackend({
      url: server.url,
      caPath: gridCaDir(root, good.caPem, 'accept'),
      credentials: { tokens: TOKENS },
    });
    await backend.setJobMetadata(1, { HostName: 'wn' });
    await backend.close();
  });

  it('accepts a CA bundle file', async () => {
    const bundle = path.join(root, 'bundle.pem');
    writeFileSync(bundle, other.caPem + good.caPem);
    const backend = await createDiracxBackend({ url: server.url, caFile: bundle, credentials: { tokens: TOKENS } });
    await backend.setJobMetadata(1, { HostName: 'wn' });
    await backend.close();
  });

  it('refuses a server signed by a CA that is not trusted, with exit code TLS and one line', async () => {
    const backend = await createDiracxBackend({
      url: server.url,
      caPath: gridCaDir(root, other.caPem, 'wrong'),
      credentials: { tokens: TOKENS },
      retry: { baseDelayMs: 1, maxDelayMs: 2, callBudgetMs: 5_000 },
    });
    const before = server.requests.length;
    const error = await backend.setJobMetadata(1, { HostName: 'wn' }).catch((e: unknown) => e);
    await backend.close();
    expect(error).toMatchObject({ name: 'PilotError', exitCode: ExitCode.TLS });
    expect((error as Error).message).toMatch(/^TLS verification of PATCH https:\/\/127\.0\.0\.1:\d+\/api\/jobs\/metadata failed: [A-Z_]+ /);
    expect((error as Error).message).not.toContain('\n');
    expect(server.requests.length).toBe(before);
  });

  it('insecure mode connects anyway and says so loudly', async () => {
    const warnings: string[] = [];
    const logger = silentLogger();
    logger.warn = (msg: string) => void warnings.push(msg);
    const backend = await createDiracxBackend({ url: server.url, insecure: true, credentials: { tokens: TOKENS }, logger });
    await backend.setJobMetadata(1, { HostName: 'wn' });
    await backend.close();
    expect(warnings.join('\n')).toMatch(/TLS VERIFICATION DISABLED/);
  });

  it('a CA directory with no certificate is a TLS configuration error', async () => {
    const empty = path.join(root, 'empty');
    mkdirSync(empty);
    const error = await createDiracxBackend({ url: server.url, caPath: empty, credentials: { tokens: TOKENS } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: ExitCode.TLS });
    expect((error as Error).message).toBe(`no CA certificates found in ${empty}`);
  });
});
