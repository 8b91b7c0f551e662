import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { generateDevTls, type DevTlsMaterial } from '../../src/devserver/tls.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { devPilotArgs, runPilot, tempDir, type PilotRun } from './pilot-process.js';

/**
 * docs/exit-codes.md, "A pilot that never reached the server": one row per case, each a real
 * pilot process against a real listener (or none) on loopback. The pilot must not end 0 when it
 * never got one good reply, and must say why in one `pilot: …` line on stderr.
 */
let dir: string;
let tls: DevTlsMaterial;

beforeAll(async () => {
  dir = tempDir('pilot-never-');
  tls = await generateDevTls(path.join(dir, 'tls'));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The pilot with a short lifetime, so retries of an unreachable server end within the test; `issuer` writes its credentials. */
async function pilotAgainst(url: string, issuer: DevServer, extra: string[] = []): Promise<PilotRun> {
  const id = Math.random().toString(36).slice(2);
  const credentials = path.join(dir, `credentials-${id}.json`);
  await issuer.writePilotCredentials(credentials);
  const args = devPilotArgs({ url }, credentials, path.join(dir, `work-${id}`), ['--lifetime', '4', ...extra]);
  return runPilot(args, { timeoutMs: 90_000 });
}

/** The `pilot: …` lines (the log's own lines are JSON or start with a time). */
function pilotLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.startsWith('pilot: '));
}

describe('a pilot that never reached the server exits with the documented code and one line saying why', () => {
  it('connection refused: SERVER_UNREACHABLE (23)', async () => {
    const port = await closedPort();
    const spare = await startDevServer();
    try {
      const run = await pilotAgainst(`http://127.0.0.1:${port}`, spare);
      expect(run.code, run.stderr).toBe(ExitCode.SERVER_UNREACHABLE);
      const lines = pilotLines(run.stderr);
      expect(lines, run.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(/unreachable.*ECONNREFUSED/);
      // Retrying was visible: one warning naming what failed, not only debug lines in pilot.log.
      expect(run.stderr).toMatch(/("level":40|WARN)[^\n]*failed \(ECONNREFUSED\); retrying in \d+ ms/);
    } finally {
      await spare.close();
    }
  });

  it('an https:// URL on a plain-HTTP port: TLS (22)', async () => {
    const server = await startDevServer();
    try {
      const run = await pilotAgainst(server.url.replace(/^http:/, 'https:'), server, ['--ca-path', tls.caFile]);
      expect(run.code, run.stderr).toBe(ExitCode.TLS);
      expect(pilotLines(run.stderr), run.stderr).toHaveLength(1);
      expect(pilotLines(run.stderr)[0]).toMatch(/TLS/);
    } finally {
      await server.close();
    }
  });

  it('a certificate no trusted CA signed: TLS (22)', async () => {
    const server = await startDevServer({ tls: { cert: tls.cert, key: tls.key } });
    try {
      const run = await pilotAgainst(server.url, server);
      expect(run.code, run.stderr).toBe(ExitCode.TLS);
      expect(pilotLines(run.stderr), run.stderr).toHaveLength(1);
    } finally {
      await server.close();
    }
  });

  it('credentials refused (revoked tokens): AUTH_REFUSED (21)', async () => {
    const server = await startDevServer();
    try {
      const credentials = path.join(dir, 'revoked.json');
      await server.writePilotCredentials(credentials);
      server.revokeAll();
      const run = await runPilot(devPilotArgs(server, credentials, path.join(dir, 'work-revoked'), ['--lifetime', '4']), {
        timeoutMs: 90_000,
      });
      expect(run.code, run.stderr).toBe(ExitCode.AUTH_REFUSED);
      expect(pilotLines(run.stderr), run.stderr).toHaveLength(1);
      expect(pilotLines(run.stderr)[0]).toMatch(/refused/);
    } finally {
      await server.close();
    }
  });

  it('a plain http:// URL to a host that is not loopback: USAGE (2), before any connection', async () => {
    const spare = await startDevServer();
    try {
      // 192.0.2.0/24 is TEST-NET-1: never routed; the pilot must refuse before trying it.
      const run = await pilotAgainst('http://192.0.2.1:8000', spare, ['-X', 'authenticate,register-pilot,run-jobs']);
      expect(run.code, run.stderr).toBe(ExitCode.USAGE);
      expect(pilotLines(run.stderr), run.stderr).toEqual([expect.stringMatching(/plain HTTP to a host that is not loopback/)]);
    } finally {
      await spare.close();
    }
  });

  it('plain http:// to loopback is allowed, with a warning', async () => {
    const server = await startDevServer();
    try {
      const run = await pilotAgainst(server.url, server);
      expect(run.code, run.stderr).toBe(ExitCode.OK);
      expect(run.stderr).toMatch(/plain HTTP: tokens travel unencrypted \(allowed on loopback\)/);
    } finally {
      await server.close();
    }
  });

  it('every call answered 503: SERVER_UNREACHABLE (23)', async () => {
    const server = await startDevServer({ faults: { error5xxRate: 1, seed: 1 } });
    try {
      const run = await pilotAgainst(server.url, server);
      expect(run.code, run.stderr).toBe(ExitCode.SERVER_UNREACHABLE);
      expect(pilotLines(run.stderr), run.stderr).toHaveLength(1);
      expect(pilotLines(run.stderr)[0]).toMatch(/503/);
    } finally {
      await server.close();
    }
  });
});

describe('a hand-run pilot that decides to do nothing', () => {
  it('says so in one line: no batch system and no -T, so CPU work left is 0', async () => {
    const server = await startDevServer();
    try {
      const credentials = path.join(dir, 'credentials-idle.json');
      await server.writePilotCredentials(credentials);
      const args = devPilotArgs(server, credentials, path.join(dir, 'work-idle'));
      const withoutT = args.filter((arg, i) => arg !== '-T' && args[i - 1] !== '-T');
      const run = await runPilot(withoutT, { timeoutMs: 90_000 });
      expect(run.code, run.stderr).toBe(ExitCode.OK);
      expect(pilotLines(run.stderr), run.stderr).toEqual([
        expect.stringMatching(/^pilot: took no job: CPU work left 0 below MinimumTimeLeft .*no batch system found and no -T/),
      ]);
      expect(server.jobs().every((job) => job.status === 'Waiting')).toBe(true);
    } finally {
      await server.close();
    }
  });
});
