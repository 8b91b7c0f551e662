import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { call } from './helpers.js';

const fixture = (name: string): unknown =>
  parseYaml(readFileSync(new URL(`../fixtures/matchmaking-poc/nodes/${name}`, import.meta.url), 'utf8'));

const resources = {
  Site: 'DIRAC.Dev.local',
  GridCE: 'ce.dev.local',
  CEQueue: 'default',
  Platform: 'Linux_x86_64_glibc-2.36',
  Tag: ['cvmfs:lhcb'],
  RequiredTag: [],
  NumberOfProcessors: 1,
  MaxRAM: 4096,
  NumberOfGPUs: 0,
  CPUTime: 100000,
  PilotBenchmark: 10,
  PilotReference: 'ref-1',
  ReleaseVersion: '0.1.0',
  VirtualOrganization: 'demo',
};

let server: DevServer;
let pilot: string;

beforeAll(async () => {
  server = await startDevServer();
  pilot = server.issuePilotCredentials().access_token;
});
afterAll(() => server.close());

function matchBody(overrides: Record<string, unknown> = {}, res: Record<string, unknown> = {}) {
  return {
    pilot_stamp: 'match-pilot',
    vo: 'demo',
    max_jobs: 1,
    node: fixture('node_01_cern_typical.yaml'),
    resources: { ...resources, ...res },
    ...overrides,
  };
}

type MatchReply = {
  jobs: {
    job_id: number;
    jdl: string;
    owner: string;
    owner_group: string;
    vo: string;
    credentials: { access_token: string; expires_in: number; refresh_token: string | null };
  }[];
};

describe('provisional POST /api/jobs/match', () => {
  it('matches a Waiting job, sets it Matched, and returns its JDL with a token for its owner', async () => {
    const id = server.submitJob({ fields: { Executable: 'run.sh', CPUTime: 500 }, owner: 'dana', inputFiles: { 'run.sh': 'echo' } });
    const r = await call(server, 'POST', '/api/jobs/match', { token: pilot, json: matchBody() });
    expect(r.status).toBe(200);
    const { jobs } = r.json as MatchReply;
    expect(jobs).toHaveLength(1);
    const job = jobs[0]!;
    expect(job).toMatchObject({ job_id: id, owner: 'dana', owner_group: 'demo_user', vo: 'demo' });
    expect(job.jdl).toContain('Executable = "run.sh"');
    expect(server.job(id)).toMatchObject({ status: 'Matched', pilotStamp: 'match-pilot' });
    expect(server.job(id)!.history.at(-1)!.source).toBe('Matcher');
    // The owner's token may fetch the job's input sandbox; the pilot's may not.
    const pfn = server.job(id)!.inputSandbox[0]!;
    const asOwner = await call(server, 'GET', `/api/jobs/sandbox?pfn=${encodeURIComponent(pfn)}`, { token: job.credentials.access_token });
    expect(asOwner.status).toBe(200);
    expect(job.credentials.expires_in).toBeGreaterThan(0);
    const again = await call(server, 'POST', '/api/jobs/match', { token: pilot, json: matchBody() });
    expect((again.json as MatchReply).jobs.map((j) => j.job_id)).not.toContain(id);
  });

  it('leaves jobs that do not fit: processors, site, banned site, CPU time, tags', async () => {
    const misfits = [
      server.submitJob({ fields: { Executable: 'a', NumberOfProcessors: 4 } }),
      server.submitJob({ fields: { Executable: 'b', Site: 'LCG.Elsewhere.org' } }),
      server.submitJob({ fields: { Executable: 'c', BannedSites: ['DIRAC.Dev.local'] } }),
      server.submitJob({ fields: { Executable: 'd', CPUTime: 10_000_000 } }),
      server.submitJob({ fields: { Executable: 'e', Tags: ['gpu:nvidia'] } }),
      server.submitJob({ fields: { Executable: 'f', Platform: 'Linux_aarch64_glibc-2.36' } }),
    ];
    const r = await call(server, 'POST', '/api/jobs/match', { token: pilot, json: matchBody({ max_jobs: 10 }) });
    expect((r.json as MatchReply).jobs).toEqual([]);
    for (const id of misfits) expect(server.job(id)!.status).toBe('Waiting');
    // With enough processors the first one fits.
    const wide = await call(server, 'POST', '/api/jobs/match', {
      token: pilot,
      json: matchBody({ max_jobs: 10 }, { NumberOfProcessors: 4 }),
    });
    expect((wide.json as MatchReply).jobs.map((j) => j.job_id)).toEqual([misfits[0]]);
  });

  it('honours max_jobs and RequiredTag', async () => {
    const tagged = server.submitJob({ fields: { Executable: 'g', Tags: ['cvmfs:lhcb'] } });
    server.submitJob({ fields: { Executable: 'h' } });
    const r = await call(server, 'POST', '/api/jobs/match', {
      token: pilot,
      json: matchBody({ max_jobs: 5 }, { RequiredTag: ['cvmfs:lhcb'] }),
    });
    expect((r.json as MatchReply).jobs.map((j) => j.job_id)).toEqual([tagged]);
    const one = await call(server, 'POST', '/api/jobs/match', { token: pilot, json: matchBody({ max_jobs: 1 }) });
    expect((one.json as MatchReply).jobs).toHaveLength(1);
  });

  it('validates the request: invalid node documents from the POC fixtures and missing resources give 422', async () => {
    for (const name of ['invalid_07_node_negative_cores.yaml', 'invalid_09_node_gpu_empty.yaml']) {
      const r = await call(server, 'POST', '/api/jobs/match', { token: pilot, json: matchBody({ node: fixture(name) }) });
      expect(r.status, name).toBe(422);
    }
    for (const name of ['node_03_gpu.yaml', 'node_07_low_io.yaml']) {
      expect((await call(server, 'POST', '/api/jobs/match', { token: pilot, json: matchBody({ node: fixture(name) }) })).status, name).toBe(
        200,
      );
    }
    const noResources = await call(server, 'POST', '/api/jobs/match', {
      token: pilot,
      json: { pilot_stamp: 'x', vo: 'demo', max_jobs: 1, node: fixture('node_01_cern_typical.yaml') },
    });
    expect(noResources.status).toBe(422);
    expect(server.violations.some((v) => v.path === '/api/jobs/match')).toBe(true);
  });

  it('needs a pilot token of the same VO', async () => {
    expect(
      (await call(server, 'POST', '/api/jobs/match', { token: server.issueUserCredentials().access_token, json: matchBody() })).status,
    ).toBe(403);
    expect((await call(server, 'POST', '/api/jobs/match', { token: pilot, json: matchBody({ vo: 'lhcb' }) })).status).toBe(403);
  });

  it('serves the match on a configured path', async () => {
    const custom = await startDevServer({ matchPath: '/api/x/matcher' });
    try {
      const token = custom.issuePilotCredentials().access_token;
      expect((await call(custom, 'POST', '/api/x/matcher', { token, json: matchBody() })).status).toBe(200);
      expect((await call(custom, 'POST', '/api/jobs/match', { token, json: matchBody() })).status).toBe(404);
    } finally {
      await custom.close();
    }
  });
});
