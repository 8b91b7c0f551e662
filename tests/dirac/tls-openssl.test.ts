/**
 * The DIPS TLS handshake against a real OpenSSL peer: `openssl s_server -Verify 5
 * -allow_proxy_certs` on loopback, certificates generated for the test. A proxy chain is accepted;
 * a wrong CA (either side) or an expired proxy gives a PilotError with ExitCode.TLS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PilotError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { connectTls, classifySocketError, type TlsCredentials } from '../../src/dirac/dips/tls.js';
import { loadCaDirectory } from '../../src/dirac/x509/ca-dir.js';
import { loadProxyFile } from '../../src/dirac/x509/proxy-file.js';
import { makeCa, writeTestPki, type TestPki } from './pki.js';
import { readFile, writeFile } from 'node:fs/promises';

const openssl = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const haveOpenssl = openssl.status === 0;
if (!haveOpenssl)
  console.warn('tls-openssl: skipped, no openssl binary on PATH (Debian package "openssl", listed in .ci/apt-packages.txt)');

let pki: TestPki;
let otherCaPath: string;
let dir: string;
const servers: ResultPromise[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dirac-tls-'));
  pki = await writeTestPki(dir);
  otherCaPath = join(dir, 'other-ca.pem');
  await writeFile(otherCaPath, (await makeCa('Some Other CA')).certPem);
}, 60_000);

afterAll(async () => {
  for (const server of servers) server.kill();
  await rm(dir, { recursive: true, force: true });
});

/** Starts s_server for one connection and resolves with the port it listens on. */
async function startServer(caFile: string, extra: string[] = ['-allow_proxy_certs']): Promise<number> {
  const server = execa(
    'openssl',
    [
      's_server',
      '-accept',
      '127.0.0.1:0',
      '-cert',
      pki.hostCertPath,
      '-key',
      pki.hostKeyPath,
      '-CAfile',
      caFile,
      '-Verify',
      '5',
      '-verify_return_error',
      '-rev',
      '-naccept',
      '1',
      ...extra,
    ],
    { timeout: 30_000, reject: false, buffer: false, stdin: 'pipe' },
  );
  servers.push(server);
  return new Promise((resolve, reject) => {
    let seen = '';
    server.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(seen);
      if (match) resolve(Number(match[1]));
    });
    void server.then(() => reject(new Error(`s_server exited before listening: ${seen}`)));
  });
}

/** Handshake, then one line through s_server's -rev echo; TLS 1.3 reports a refused client certificate only on that read. */
async function roundTrip(port: number, credentials: TlsCredentials): Promise<string> {
  const target = { host: '127.0.0.1', port, servername: 'localhost' };
  const socket = await connectTls(target, credentials, 10_000);
  return new Promise((resolve, reject) => {
    let text = '';
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) {
        socket.destroy();
        resolve(text.trim());
      }
    });
    socket.on('error', (error) => reject(classifySocketError(error, target)));
    socket.on('close', () => reject(new PilotError(ExitCode.TLS, 'closed before the echo')));
    socket.write('spid olleh\n');
  });
}

async function credentials(proxyPath = pki.proxyPath): Promise<TlsCredentials> {
  return { proxy: await loadProxyFile(proxyPath), ca: (await loadCaDirectory(pki.caDir)).pems };
}

describe.skipIf(!haveOpenssl)('DIPS TLS against openssl s_server', () => {
  it('is accepted with a proxy chain as client certificate', async () => {
    const port = await startServer(pki.caPath);
    expect(await roundTrip(port, await credentials())).toBe('hello dips');
  }, 30_000);

  it('is refused by a server trusting another CA', async () => {
    const port = await startServer(otherCaPath);
    const error = await roundTrip(port, await credentials()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PilotError);
    expect((error as PilotError).exitCode).toBe(ExitCode.TLS);
    expect((error as PilotError).message).toMatch(/^TLS with 127\.0\.0\.1:\d+ failed: .*(unknown ca|certificate)/i);
  }, 30_000);

  it('refuses a server whose CA we do not trust', async () => {
    const port = await startServer(pki.caPath);
    const creds = await credentials();
    const error = await roundTrip(port, { ...creds, ca: [await readFile(otherCaPath, 'utf8')] }).catch((e: unknown) => e);
    expect((error as PilotError).exitCode).toBe(ExitCode.TLS);
    // s_server sends its CA along, so OpenSSL reports the untrusted self-signed root.
    expect((error as PilotError).message).toMatch(/failed: (SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/);
  }, 30_000);

  it('refuses to present an expired proxy', async () => {
    const error = await credentials(pki.expiredProxyPath)
      .then((c) => roundTrip(1, c))
      .catch((e: unknown) => e);
    expect((error as PilotError).exitCode).toBe(ExitCode.TLS);
    expect((error as PilotError).message).toMatch(/proxy .*proxy-expired\.pem: expired at \d{4}-/);
  });

  it('reports an unreachable server as such, not as a TLS problem', async () => {
    const error = await credentials()
      .then((c) => connectTls({ host: '127.0.0.1', port: 1 }, c, 5_000))
      .catch((e: unknown) => e);
    expect((error as PilotError).exitCode).toBe(ExitCode.SERVER_UNREACHABLE);
    expect((error as PilotError).message).toMatch(/127\.0\.0\.1:1: ECONNREFUSED/);
  });
});
