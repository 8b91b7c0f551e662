/**
 * The identity modes of the DIRAC pilot's DiracX work (DIRACGrid/Pilot PR #248, issue 18 §4), with
 * the built pilot against the DiracX dev server: a pilot secret, retried once with the pilot's own
 * description after a 401 (a pilot no SiteDirector registered), its token revoked at exit, and the
 * DIRACX block of X509_USER_PROXY when no secret is given; every request says
 * `User-Agent: Dirac Pilot [<stamp>]`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { demoJobs } from '../../src/devserver/demo-jobs.js';
import { devPilotArgs, runPilot, tempDir } from './pilot-process.js';

let server: DevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** devPilotArgs without --credentials: the identity comes from elsewhere. */
function argsWithout(credentialsArgs: string[], extra: string[]): string[] {
  const args = [...credentialsArgs];
  const at = args.indexOf('--credentials');
  args.splice(at, 2);
  return [...args, ...extra];
}

describe('DiracX identity modes of the DIRAC pilot (PR #248)', () => {
  it('exchanges a VO-wide secret, describing itself after the 401, runs the jobs, and revokes its token at exit', async () => {
    server = await startDevServer({ jobs: demoJobs().slice(0, 1), features: { secretExchange: true } });
    const dir = tempDir('dx-vacuum-');
    // The options as the DIRAC pilot spells them (PR #248): --diracx_URL, --pilotSecret, --clientID.
    const args = argsWithout(devPilotArgs(server, 'unused', path.join(dir, 'work')), [
      '--pilotSecret',
      server.addVacuumSecret(),
      '--clientID',
      'pilotClient',
      '--pilotUUID',
      'vacuum-1',
      '-a',
      'Cloud',
    ]);
    args[args.indexOf('--diracx-url')] = '--diracx_URL';
    const run = await runPilot(args);
    expect(run.code, run.stderr).toBe(0);
    expect(server.jobs().map((j) => j.status)).toEqual(['Done']);

    const exchanges = server.requests.filter((r) => r.path === '/api/auth/secret-exchange');
    expect(exchanges.map((r) => r.status)).toEqual([401, 200]);
    expect(exchanges[1]!.body).toMatchObject({
      pilot_stamp: 'vacuum-1',
      vo: 'demo',
      grid_type: 'Cloud',
      grid_site: 'DIRAC.Test.local',
      status: 'Running',
    });
    expect(server.pilots.find((p) => p.pilot_stamp === 'vacuum-1')).toMatchObject({
      vo: 'demo',
      grid_type: 'Cloud',
      grid_site: 'DIRAC.Test.local',
    });
    // Nothing the pilot held outlives it.
    expect(server.revocations).toEqual([expect.objectContaining({ pilotStamp: 'vacuum-1', clientId: 'pilotClient' })]);
    for (const request of server.requests) expect(request.userAgent, request.path).toBe('Dirac Pilot [vacuum-1]');
  });

  it('takes its tokens from the DIRACX block of X509_USER_PROXY when given no secret and no credentials, and revokes nothing', async () => {
    server = await startDevServer({ jobs: demoJobs().slice(0, 1) });
    const dir = tempDir('dx-proxy-');
    const credentials = server.issuePilotCredentials();
    const block = Buffer.from(JSON.stringify(credentials)).toString('base64');
    const proxy = path.join(dir, 'x509up_u0');
    writeFileSync(
      proxy,
      `-----BEGIN CERTIFICATE-----\nMIIBproxy\n-----END CERTIFICATE-----\n-----BEGIN DIRACX-----\n${block}\n-----END DIRACX-----\n`,
      { mode: 0o600 },
    );
    const args = argsWithout(devPilotArgs(server, 'unused', path.join(dir, 'work')), ['--pilotUUID', 'proxy-1']);
    const run = await runPilot(args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', X509_USER_PROXY: proxy } });
    expect(run.code, run.stderr).toBe(0);
    expect(server.jobs().map((j) => j.status)).toEqual(['Done']);
    expect(server.revocations).toEqual([]);
    expect(server.requests.every((r) => r.userAgent === 'Dirac Pilot [proxy-1]')).toBe(true);
  });
});
