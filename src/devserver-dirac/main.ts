/**
 * `node dist/devserver-dirac.cjs [--dir DIR] [--release VERSION] [--owner-voms-role ROLE] [--https-refuses-proxies]`:
 * starts the legacy DIRAC dev server with the demo jobs (one with InputData and OutputData on a file:// SE) and prints one JSON line when ready:
 * {"csUrls", "proxyPath", "caDir", "vo", "setup", "releaseVersion"}; runs until SIGTERM/SIGINT.
 * Dev only: loopback, a throw-away CA and proxies written under DIR.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { demoJobSpecs, startDiracDevServer } from './index.js';
import { DEMO_DATA_JOB, demoData, demoDataSetup } from './demo-data.js';

const USAGE = 'usage: devserver-dirac [--dir DIR] [--release VERSION] [--owner-voms-role ROLE] [--https-refuses-proxies]';

async function main(): Promise<void> {
  let values: { dir?: string; release?: string; 'owner-voms-role'?: string; 'https-refuses-proxies'?: boolean };
  try {
    ({ values } = parseArgs({
      options: { dir: { type: 'string' }, release: { type: 'string' }, 'owner-voms-role': { type: 'string' }, 'https-refuses-proxies': { type: 'boolean' } },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`devserver-dirac: ${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'devserver-dirac-')));
  // The demo jobs, plus one with InputData and OutputData on a file:// storage element under DIR.
  const server = await startDiracDevServer({
    dir,
    jobs: [...demoJobSpecs(), DEMO_DATA_JOB],
    data: demoDataSetup(dir),
    ...(values.release ? { releaseVersion: values.release } : {}),
    ...(values['owner-voms-role'] ? { ownerVomsRole: values['owner-voms-role'] } : {}),
    ...(values['https-refuses-proxies'] ? { httpsRefusesProxies: true } : {}),
  });
  await demoData(dir, server.data);
  const { csUrls, proxyPath, caDir, vo, setup, releaseVersion } = server;
  process.stdout.write(`${JSON.stringify({ csUrls, proxyPath, caDir, vo, setup, releaseVersion })}\n`);
  const stop = (): void => {
    // A last JSON line for the demo's summary: every job with the status history DIRAC recorded.
    const jobs = [...server.state.jobs.values()].map((j) => ({
      id: j.jobId,
      status: j.status,
      minorStatus: j.minorStatus,
      history: j.history,
      heartbeats: j.heartbeats,
    }));
    process.stdout.write(`${JSON.stringify({ jobs })}\n`);
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`devserver-dirac: ${(error as Error).message}\n`);
  process.exit(1);
});
