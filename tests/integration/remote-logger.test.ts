import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoJobSpecs, startDiracDevServer, type DiracDevServer } from '../../src/devserver-dirac/index.js';
import { loadProxyCredentials } from '../../src/diracx/credentials/proxy-pem.js';
import { legacyPilotArgs, runPilot, tempDir } from './pilot-process.js';

let server: DiracDevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function pilotArgs(s: DiracDevServer, dir: string, extra: string[]): string[] {
  return legacyPilotArgs(s, path.join(dir, 'work'), extra);
}

describe("DIRAC's remote pilot logger (-z -g URL)", () => {
  it('sends the pilot log to TornadoPilotLogging as the DIRAC pilot does, then finaliseLogs with the exit code', async () => {
    const dir = tempDir('remote-logger-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: [demoJobSpecs()[0]!] });
    const uuid = randomUUID();
    const run = await runPilot(pilotArgs(server, dir, ['-z', '-g', server.loggerUrl, '--pilotUUID', uuid]));
    expect(run.code, run.stderr).toBe(0);
    expect(server.state.jobs.get(101)?.status).toBe('Done');

    const log = server.state.pilotLogs.get(uuid);
    expect(log?.vo).toBe('gridpp');
    const lines = log!.text.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (DEBUG|INFO|WARNING|ERROR) \[[^\]]+\] /);
    const text = log!.text;
    expect(text).toMatch(/ INFO \[Pilot\] pilot starting/);
    expect(text).toMatch(/job 101 Done/);
    expect(text).toMatch(/pilot ending/);
    expect(log!.finalised).toEqual({ retCode: '0' });
    // The wire: method and args as pilotTools.sendMessage builds them, the VO as third argument.
    const calls = server.state.calls.filter((c) => c.service === 'WorkloadManagement/TornadoPilotLogging');
    expect(calls.map((c) => c.method).at(-1)).toBe('finaliseLogs');
    for (const call of calls) expect(call.args.slice(1)).toEqual([uuid, 'gridpp']);
    expect(JSON.parse(String(calls.at(-1)!.args[0]))).toEqual({ retCode: '0' });
    // pilot.log keeps everything too.
    expect(readFileSync(path.join(dir, 'work', 'pilot.log'), 'utf8')).toMatch(/remote logger activated/);
  });

  it('sends in batches of RemoteLoggerBufsize lines, and with RemoteLoggerTimerInterval 0 only full batches and the end', async () => {
    const dir = tempDir('remote-logger-bufsize-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: [demoJobSpecs()[0]!] });
    const uuid = randomUUID();
    const extra = ['-z', '-g', server.loggerUrl, '--pilotUUID', uuid, '--RemoteLoggerBufsize', '5', '--RemoteLoggerTimerInterval', '0'];
    const run = await runPilot(pilotArgs(server, dir, extra));
    expect(run.code, run.stderr).toBe(0);
    const sends = server.state.calls.filter((c) => c.service === 'WorkloadManagement/TornadoPilotLogging' && c.method === 'sendMessage');
    // The text travels as a JSON string inside the args list, as the DIRAC pilot nests it.
    const sizes = sends.map(
      (c) =>
        String(JSON.parse(String(c.args[0])))
          .trimEnd()
          .split('\n').length,
    );
    expect(sizes.length).toBeGreaterThan(2);
    // Every batch but the last (the rest, sent at the end) is exactly full.
    expect(
      sizes.slice(0, -1).every((size) => size === 5),
      JSON.stringify(sizes),
    ).toBe(true);
    expect(sizes.at(-1)).toBeLessThanOrEqual(5);
    expect(server.state.pilotLogs.get(uuid)?.finalised).toEqual({ retCode: '0' });
  });

  it('a logger service that refuses the pilot leaves the log local and the exit code alone', async () => {
    const dir = tempDir('remote-logger-refused-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: [demoJobSpecs()[0]!] });
    // Not a uuid nor a 32-hex stamp: the file-cache plugin refuses it ("Pilot UUID is invalid").
    const run = await runPilot(pilotArgs(server, dir, ['-z', '-g', server.loggerUrl, '--pilotUUID', 'not-a-uuid']));
    expect(run.code, run.stderr).toBe(0);
    expect(server.state.jobs.get(101)?.status).toBe('Done');
    expect(server.state.pilotLogs.size).toBe(0);
    expect(readFileSync(path.join(dir, 'work', 'pilot.log'), 'utf8')).toMatch(/remote logger .* stopped: .*Pilot UUID is invalid/);
  });

  it('a logger service that is not there costs the pilot nothing: exit 0, jobs Done, the log local', async () => {
    const dir = tempDir('remote-logger-gone-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: [demoJobSpecs()[0]!] });
    // A loopback port nothing listens on (the dev server's, closed again).
    const gone = await startDiracDevServer({ dir: path.join(dir, 'gone'), jobs: [] });
    const url = gone.loggerUrl;
    await gone.close();
    const run = await runPilot(pilotArgs(server, dir, ['-z', '-g', url, '--pilotUUID', randomUUID()]));
    expect(run.code, run.stderr).toBe(0);
    expect(server.state.jobs.get(101)?.status).toBe('Done');
    expect(readFileSync(path.join(dir, 'work', 'pilot.log'), 'utf8')).toMatch(/pilot ending/);
  });
  it('mixed mode at debug level: neither the pilot’s nor an owner’s DiracX token, nor a key, reaches the remote log or pilot.log', async () => {
    const dir = tempDir('remote-logger-secrets-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: [demoJobSpecs()[0]!], diracx: true });
    const before = loadProxyCredentials(server.proxyPath).tokens;
    const uuid = randomUUID();
    const args = pilotArgs(server, dir, ['-z', '-g', server.loggerUrl, '--pilotUUID', uuid, '-d']);
    args[args.indexOf('dirac')] = 'dirac+diracx';
    const run = await runPilot(args);
    expect(run.code, run.stderr).toBe(0);
    const [job] = server.diracx!.jobs();
    expect(job?.status).toBe('Done');
    // The owner's token went into the payload proxy: ProxyManager was asked for it.
    expect(server.state.calls.some((c) => c.method === 'exchangeProxyForToken')).toBe(true);
    // The pilot's pair as it started and as it may have been rotated since (written back into the proxy).
    const after = loadProxyCredentials(server.proxyPath).tokens;
    const secrets = [before.accessToken, before.refreshToken, after.accessToken, after.refreshToken].filter((t): t is string => !!t);
    // The pattern below would see them (positive control): they are JWTs.
    expect(`${before.accessToken}`).toMatch(/^eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
    const shipped = server.state.pilotLogs.get(uuid)!.text;
    expect(shipped).toMatch(/job \d+ Done/);
    for (const text of [shipped, readFileSync(path.join(dir, 'work', 'pilot.log'), 'utf8'), run.stderr, run.stdout]) {
      for (const secret of secrets) expect(text).not.toContain(secret);
      // Any JWT (the owner's tokens included: their header is base64 of '{"'), a key, a DIRACX block.
      expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ/);
      expect(text).not.toMatch(/PRIVATE KEY|BEGIN DIRACX/);
    }
  });
});
