/**
 * `node dist/devserver-dirac.cjs [--dir DIR] [--release VERSION] [--owner-voms-role ROLE] [--https-refuses-proxies] [--diracx]`:
 * starts the legacy DIRAC dev server with the demo jobs (one with InputData and OutputData on a file:// SE) and prints one JSON line when ready:
 * {"csUrls", "proxyPath", "caDir", "vo", "setup", "releaseVersion"} (and "diracxUrl" with --diracx); runs until SIGTERM/SIGINT.
 * --diracx: DIRAC v9 with DiracX enabled for the VO (mixed mode, docs/devserver.md): a DiracX dev
 * server beside it holds the jobs and sandboxes, the CS enables the JobStateUpdate future client,
 * and the pilot proxy carries a DIRACX block.
 * Dev only: loopback, a throw-away CA and proxies written under DIR.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { demoJobSpecs, startDiracDevServer } from './index.js';
import { DEMO_DATA_JOB, demoData, demoDataSetup } from './demo-data.js';

const USAGE = 'usage: devserver-dirac [--dir DIR] [--release VERSION] [--owner-voms-role ROLE] [--https-refuses-proxies] [--diracx]';

async function main(): Promise<void> {
  let values: { dir?: string; release?: string; 'owner-voms-role'?: string; 'https-refuses-proxies'?: boolean; diracx?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: 'string' },
        release: { type: 'string' },
        'owner-voms-role': { type: 'string' },
        'https-refuses-proxies': { type: 'boolean' },
        diracx: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`devserver-dirac: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'devserver-dirac-')));
  // The demo jobs, plus one with InputData and OutputData on a file:// storage element under DIR
  // (mixed mode: the demo jobs only; the DiracX side has no data management here).
  const server = await startDiracDevServer({
    dir,
    jobs: values.diracx ? demoJobSpecs() : [...demoJobSpecs(), DEMO_DATA_JOB],
    ...(values.diracx ? { diracx: true } : {}),
    data: demoDataSetup(dir),
    ...(values.release ? { releaseVersion: values.release } : {}),
    ...(values['owner-voms-role'] ? { ownerVomsRole: values['owner-voms-role'] } : {}),
    ...(values['https-refuses-proxies'] ? { httpsRefusesProxies: true } : {}),
  });
  await demoData(dir, server.data);
  const { csUrls, proxyPath, caDir, vo, setup, releaseVersion } = server;
  const diracxUrl = server.diracx?.url;
  process.stdout.write(`${JSON.stringify({ csUrls, proxyPath, caDir, vo, setup, releaseVersion, ...(diracxUrl ? { diracxUrl } : {}) })}\n`);
  const stop = (): void => {
    // A last JSON line for the demo's summary: every job with the status history DIRAC recorded.
    // In mixed mode the records are DiracX's (the JobDB both share).
    const jobs = server.diracx
      ? server.diracx.jobs().map((j) => ({
          id: j.id,
          status: j.status,
          minorStatus: j.minorStatus,
          history: j.history,
          heartbeats: j.heartbeats.length,
        }))
      : [...server.state.jobs.values()].map((j) => ({
          id: j.jobId,
          status: j.status,
          minorStatus: j.minorStatus,
          history: j.history,
          heartbeats: j.heartbeats,
        }));
    // Which server got which calls: what the demo shows of the v9 + DiracX split.
    const count = (names: string[]): Record<string, number> =>
      names.reduce<Record<string, number>>((counts, name) => ({ ...counts, [name]: (counts[name] ?? 0) + 1 }), {});
    const calls = {
      dirac: count(server.state.calls.map((c) => `${c.service}.${c.method}`)),
      ...(server.diracx ? { diracx: count(server.diracx.requests.map((r) => `${r.method} ${r.path}`)) } : {}),
    };
    process.stdout.write(`${JSON.stringify({ jobs, calls })}\n`);
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`devserver-dirac: ${(error as Error).message}\n`);
  process.exit(1);
});
