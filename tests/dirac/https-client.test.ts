/** The Tornado client against a scripted HTTPS peer: form encoding, gzip, rawContent, HTTP errors. */
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiracHttpsClient } from '../../src/dirac/https-client.js';
import { loadCaDirectory } from '../../src/dirac/x509/ca-dir.js';
import { loadProxyFile } from '../../src/dirac/x509/proxy-file.js';
import { PilotError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { writeTestPki } from './pki.js';
import { classifySocketError } from '../../src/dirac/dips/tls.js';

let dir: string;
let server: https.Server;
let client: DiracHttpsClient;
let base: string;
let pkiDir: Awaited<ReturnType<typeof writeTestPki>>;
const forms: URLSearchParams[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dirac-https-'));
  const pki = await writeTestPki(dir);
  pkiDir = pki;
  server = https.createServer(
    { cert: pki.host.certPem, key: pki.host.keyPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        forms.push(form);
        const method = form.get('method');
        if (req.url === '/Deny/Service') return void res.writeHead(401).end('no');
        if (method === 'gz') {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          return void res.end(gzipSync('{"OK": true, "Value": {"n": 1.0, "when": {"__dCls": "dt", "obj": "2024-10-17 13:41:46"}}}'));
        }
        if (method === 'streamToClient' && form.get('rawContent') === 'True') {
          if (JSON.parse(form.get('args')!)[0] === '/missing') {
            res.writeHead(200, { 'content-type': 'application/json' });
            return void res.end('{"OK": false, "Errno": 0, "Message": "no such sandbox"}');
          }
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          return void res.end(Buffer.from([0, 1, 2, 255]));
        }
        if (method === 'hang') return; // never answers: the client's timeout decides
        if (method === 'html') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>proxy error</html>');
        return void res.writeHead(501).end(`Unknown method ${method}`);
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://localhost:${(server.address() as AddressInfo).port}`;
  client = new DiracHttpsClient({
    credentials: { proxy: await loadProxyFile(pki.proxyPath), ca: (await loadCaDirectory(pki.caDir)).pems },
    timeoutMs: 10_000,
  });
}, 60_000);

afterAll(async () => {
  await client.close();
  server.closeAllConnections();
  server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('DiracHttpsClient', () => {
  it('posts method and JEncode args, and reads gzip JEncode replies', async () => {
    const result = await client.call(new URL(`${base}/WorkloadManagement/TornadoJobStateUpdate`), 'gz', [123, { CPUTime: 5 }]);
    expect(forms.at(-1)?.get('args')).toBe('[123, {"CPUTime": 5}]');
    expect(result.ok && (result.value as { n: number }).n).toBe(1);
  });

  it('streams rawContent to a file, and reads a JSON error sent with HTTP 200', async () => {
    const dest = join(dir, 'sb.tar');
    expect(
      await client.download(new URL(`${base}/WorkloadManagement/TornadoSandboxStore`), 'streamToClient', ['/SandBox/a', ''], dest),
    ).toEqual({ ok: true, value: null });
    expect([...(await readFile(dest))]).toEqual([0, 1, 2, 255]);
    const missing = await client.download(
      new URL(`${base}/WorkloadManagement/TornadoSandboxStore`),
      'streamToClient',
      ['/missing', ''],
      join(dir, 'm'),
    );
    expect(missing).toEqual({ ok: false, errno: 0, message: 'no such sandbox' });
    expect(existsSync(join(dir, 'm'))).toBe(false);
  });

  it('maps HTTP failures to exit codes with one-line messages', async () => {
    const denied = await client.call(new URL(`${base}/Deny/Service`), 'x', []).catch((e: unknown) => e);
    expect((denied as PilotError).exitCode).toBe(ExitCode.AUTH_REFUSED);
    const unknown = await client.call(new URL(`${base}/A/B`), 'nope', []).catch((e: unknown) => e);
    expect((unknown as PilotError).message).toBe('/A/B nope: HTTP 501 (method not exported by the service) Unknown method nope');
    const html = await client.call(new URL(`${base}/A/B`), 'html', []).catch((e: unknown) => e);
    expect((html as PilotError).exitCode).toBe(ExitCode.SERVER_PROTOCOL);
    expect((html as PilotError).message).toMatch(/reply is not JSON/);
  });

  it('reports a call the server never answers as unreachable, not as a crash on the timeout DOMException', async () => {
    // AbortSignal.timeout rejects with a DOMException whose `code` is a number (23).
    const timeout = classifySocketError(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), {
      host: 'h',
      port: 1,
    });
    expect(timeout.exitCode).toBe(ExitCode.SERVER_UNREACHABLE);
    expect(timeout.message).toMatch(/h:1: no reply in time/);
    const quick = new DiracHttpsClient({
      credentials: { proxy: await loadProxyFile(pkiDir.proxyPath), ca: (await loadCaDirectory(pkiDir.caDir)).pems },
      timeoutMs: 500,
    });
    try {
      const error = await quick.call(new URL(`${base}/A/B`), 'hang', []).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PilotError);
      expect((error as PilotError).exitCode).toBe(ExitCode.SERVER_UNREACHABLE);
      expect((error as PilotError).message).toMatch(/no reply in time/);
    } finally {
      await quick.close();
    }
  });

  it('tells a server that refuses the proxy at the TLS layer from a dropped connection, and does not ask it again', async () => {
    const refusing = https.createServer(
      { cert: pkiDir.host.certPem, key: pkiDir.host.keyPem, ca: [pkiDir.ca.certPem], requestCert: true, rejectUnauthorized: true },
      (_req, res) => res.end('{"OK": true}'),
    );
    let handshakes = 0;
    refusing.on('tlsClientError', () => handshakes++);
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    const url = new URL(`https://localhost:${(refusing.address() as AddressInfo).port}/WorkloadManagement/TornadoJobStateUpdate`);
    try {
      const first = await client.call(url, 'setJobStatusBulk', []).catch((e: unknown) => e);
      expect((first as PilotError).exitCode).toBe(ExitCode.TLS);
      expect((first as PilotError).message).toMatch(/does not accept this proxy certificate/);
      const seen = handshakes;
      const second = await client.call(url, 'setJobStatusBulk', []).catch((e: unknown) => e);
      expect((second as PilotError).exitCode).toBe(ExitCode.TLS);
      expect((second as PilotError).message).toMatch(/not asked again/);
      expect(handshakes).toBe(seen);
    } finally {
      refusing.close();
    }
  });
});
