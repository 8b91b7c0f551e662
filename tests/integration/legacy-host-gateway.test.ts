import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_JOBS, startDiracDevServer, type DiracDevServer } from '../../src/devserver-dirac/index.js';
import { legacyPilotArgs, runPilot, tempDir } from './pilot-process.js';

/*
 * The DIRAC pilot's -c (talk to DIRAC with the node's host certificate, hostcert.pem and hostkey.pem
 * under -K) and -W (every call through a DIRAC gateway), run as a pilot process against the legacy
 * dev server, which applies DIRAC's host rule: a host must say so (extraCredentials "hosts") and
 * be in Registry/Hosts, on DIPS and on HTTPS alike.
 */
let server: DiracDevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const JOBS = DEMO_JOBS.slice(0, 1);

describe('the DIRAC pilot’s -c and -W against the legacy dev server', () => {
  it('-c -K DIR: every pilot call made as the host, saying "hosts"; the owner’s sandbox calls with the payload proxy, never claiming it', async () => {
    const dir = tempDir('legacy-host-cert-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: JOBS });
    const run = await runPilot(legacyPilotArgs(server, path.join(dir, 'work'), ['-c', '-K', server.hostCertDir]));
    expect(run.code, run.stderr).toBe(0);
    expect(server.state.jobs.get(101)?.status).toBe('Done');
    const calls = server.state.calls;
    const asHost = calls.filter((c) => c.identityDN === server!.hostDN);
    const asOwner = calls.filter((c) => c.identityDN === server!.ownerDN);
    // Nothing with the pilot proxy the line also names: -c replaces it.
    expect(asHost.length + asOwner.length).toBe(calls.length);
    expect(
      asHost.every((c) => c.extraCredentials === 'hosts'),
      JSON.stringify(asHost.map((c) => [c.method, c.extraCredentials])),
    ).toBe(true);
    expect(new Set(asHost.map((c) => `${c.listener} ${c.service}`))).toEqual(
      new Set([
        'dips Configuration/Server',
        'dips WorkloadManagement/PilotManager',
        'dips WorkloadManagement/Matcher',
        'https Framework/TornadoProxyManager',
        'https WorkloadManagement/TornadoJobStateUpdate',
      ]),
    );
    expect(asOwner.length).toBeGreaterThan(0);
    expect(asOwner.every((c) => c.service.endsWith('SandboxStore') && c.extraCredentials === '')).toBe(true);
  }, 60_000);

  it('-c with a host certificate DIRAC does not know: refused, one line, nothing matched', async () => {
    const dir = tempDir('legacy-host-unknown-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: JOBS });
    // The services' own certificate: a valid host certificate of the same CA, not in Registry/Hosts.
    const run = await runPilot(legacyPilotArgs(server, path.join(dir, 'work'), ['-c', '-K', path.join(dir, 'server')]));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/is not in Registry\/Hosts/);
    expect(server.state.jobs.get(101)?.status).toBe('Waiting');
  }, 60_000);

  it('-W dips://gateway: every call, the configuration and JobStateUpdate included, goes through the gateway', async () => {
    const dir = tempDir('legacy-gateway-');
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs: JOBS, gateway: true });
    const run = await runPilot(legacyPilotArgs(server, path.join(dir, 'work'), ['-W', server.gatewayUrl!]));
    expect(run.code, run.stderr).toBe(0);
    expect(server.state.jobs.get(101)?.status).toBe('Done');
    const byListener = (listener: string) => server!.state.calls.filter((c) => c.listener === listener);
    expect(byListener('dips')).toEqual([]);
    expect(byListener('https')).toEqual([]);
    expect(new Set(byListener('gateway').map((c) => c.service))).toEqual(
      new Set([
        'Configuration/Server',
        'WorkloadManagement/PilotManager',
        'WorkloadManagement/Matcher',
        'Framework/ProxyManager',
        'WorkloadManagement/JobStateUpdate',
        'WorkloadManagement/SandboxStore',
      ]),
    );
    expect(server.state.loggingInfo(101).at(-1)).toMatchObject({ status: 'Done', minorStatus: 'Execution Complete' });
  }, 60_000);
});
