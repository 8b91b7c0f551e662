/**
 * Edge mode carries each job's limits to the compute node (src/edge/layout.ts, job.json): the edge
 * pilot computes them from its own options, the job's JDL and the CPU power it matched with; the
 * compute side, which never measures power and runs with default options, runs the job under them.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, MatchedJob } from '../backend/types.js';
import { silentLogger } from '../core/logger.js';
import { runEdgeAgent } from '../edge/edge-agent.js';
import { StagedLayout, readEvents, stagedFiles } from '../edge/layout.js';
import type { BatchSubmitter } from '../edge/slurm.js';
import type { PilotContext } from '../pilot/context.js';
import { resolveParams } from '../pilot/params.js';
import { tempDir } from '../../tests/support/temp-dir.js';
import { runStagedJobs } from './run-staged.js';
import { jobLimits } from './wiring.js';
import { siteEnvironment } from '../pilot/dirac-options.js';
import { computePilotArgv } from './run-edge.js';

const JOB_ID = 41;
// CPUTime is CPU work: 1 unit at the edge's power 100 is 0.012 CPU seconds once DIRAC's 1.2x is applied.
const JDL = '[Executable = "busy.sh"; CPUTime = 1; MaxWallTime = 60;]';

/** The edge pilot stages one job (no input sandbox) and submits it to a batch system that only records. */
async function stageOneJob(root: string, edgeOptions: Record<string, unknown>, power: number, jdl = JDL) {
  const params = await resolveParams(edgeOptions);
  const job: MatchedJob = { jobId: JOB_ID, jdl, owner: 'o', ownerGroup: 'g', vo: 'v', credentials: null };
  const queue = [job];
  const backend = { kind: 'diracx', match: async () => queue.splice(0, 1) } as unknown as Backend;
  const stop = new AbortController();
  const submitted: unknown[] = [];
  const batch: BatchSubmitter = {
    submit: async (request) => {
      submitted.push(request);
      stop.abort(new Error('test: staged'));
      return 'batch-1';
    },
    states: async () => new Map(),
    cancel: async () => undefined,
    partitionMaxMinutes: async () => null,
  };
  await runEdgeAgent({
    backend,
    batch,
    layout: new StagedLayout(root),
    privateDir: path.join(root, '..', 'edge-private'),
    allocation: { cpusPerJob: 1, memoryMBPerJob: 1500, gpusPerJob: 0, timeLimitMinutes: 10 },
    groupSize: 1,
    maxAllocations: 1,
    staleSeconds: 60,
    pollSeconds: 0.1,
    stopAfterFailedMatches: 1,
    deadline: null,
    drainFile: path.join(root, 'no-drain'),
    jobLimits: (request) => jobLimits(params, power, request),
    siteEnv: siteEnvironment(params, {}),
    computeArgv: ['pilot', 'exec'],
    describeAllocation: () => ({ resources: {} as never, node: {} }),
    pilotStamp: 'edge-stamp',
    vo: 'v',
    site: 'DIRAC.Edge.test',
    logger: silentLogger(),
    shutdown: stop.signal,
  });
  expect(submitted).toHaveLength(1);
  return { params, dir: new StagedLayout(root).jobDir(JOB_ID) };
}

describe('edge mode: a staged job runs under the limits the edge pilot gave it', () => {
  it('writes the slot share and the limits into job.json, and the compute side enforces them', async () => {
    const base = tempDir('edge-limits-');
    const root = path.join(base, 'edge');
    const edgeOptions = { killGraceSeconds: 1.5, stalledSeconds: 3, loopingSeconds: 77, maxStdoutMB: 2 };
    const { params, dir } = await stageOneJob(root, edgeOptions, 100);

    const staged = JSON.parse(readFileSync(stagedFiles(dir).job, 'utf8'));
    expect(staged.share).toEqual({ processors: 1, memoryMB: 1500, gpus: 0 });
    expect(staged.limits).toEqual({
      wallClockSeconds: 60,
      cpuSeconds: expect.closeTo(0.012, 6),
      memoryMB: 1500,
      maxStdoutBytes: 2 * 1048576,
      stalled: { windowSeconds: 3, minCpuRatio: 0.05 },
      loopingSeconds: 77,
      killGraceMs: 1500,
      sampleIntervalMs: 300,
    });
    // The edge's options differ from the defaults the compute side starts with.
    const defaults = await resolveParams({});
    expect(defaults.killGraceSeconds).not.toBe(params.killGraceSeconds);
    expect(defaults.stalledSeconds).not.toBe(params.stalledSeconds);

    // The compute side: default options, no CPU power. A busy payload is killed for CPU time,
    // sampled at the edge's interval, not run until its wall-clock limit.
    const jobDir = path.join(new StagedLayout(root).workDir(), 'jobs', String(JOB_ID));
    mkdirSync(jobDir, { recursive: true });
    writeFileSync(path.join(jobDir, 'busy.sh'), '#!/bin/sh\nwhile :; do :; done\n');
    chmodSync(path.join(jobDir, 'busy.sh'), 0o755);
    const ctx: PilotContext = {
      params: await resolveParams({ runner: 'direct' }),
      logger: silentLogger(),
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      workDir: path.join(base, 'compute'),
      pilotStamp: 'compute-stamp',
      startedAt: new Date(),
      shutdown: new AbortController().signal,
      native: null,
    };
    const result = await runStagedJobs(ctx, [dir]);
    expect(result).toEqual({ done: 0, failed: 1 });
    const events = await readEvents(stagedFiles(dir).events, 0);
    expect(events.at(-1)).toMatchObject({ type: 'end', status: 'Failed', minorStatus: 'Job has exceeded maximum CPU time limit' });
  });

  it('refuses a job.json without limits (an edge pilot that did not say what to enforce)', async () => {
    const base = tempDir('edge-limits-');
    const root = path.join(base, 'edge');
    const { dir } = await stageOneJob(root, {}, 10);
    const staged = JSON.parse(readFileSync(stagedFiles(dir).job, 'utf8'));
    delete staged.limits;
    writeFileSync(stagedFiles(dir).job, JSON.stringify(staged));
    const ctx = {
      params: await resolveParams({ runner: 'direct' }),
      logger: silentLogger(),
      env: {},
      workDir: base,
      pilotStamp: 's',
      startedAt: new Date(),
      shutdown: new AbortController().signal,
      native: null,
    };
    await expect(runStagedJobs(ctx, [dir])).rejects.toThrow(/limits/);
  });
});

describe("edge mode: the site's payload environment reaches the compute node", () => {
  it('stages --userEnvVariables and -o in job.json, keeps their values off the command line, and the staged payload gets them', async () => {
    const base = tempDir('edge-env-');
    const root = path.join(base, 'edge');
    const edgeOptions = {
      vo: 'lhcb',
      userEnvVariables: 'SITE_X:::1,SITE_Y:::two',
      genericOptions: ['/LocalSite/SharedArea=/sw', 'lbRunOnly'],
      keepPythonPath: true,
    };
    const { params, dir } = await stageOneJob(root, edgeOptions, 10, '[Executable = "env.sh"; MaxWallTime = 60;]');
    const staged = JSON.parse(readFileSync(stagedFiles(dir).job, 'utf8'));
    // No PYTHONPATH from the edge: -k means the compute node's own.
    expect(staged.siteEnv).toEqual({ SITE_X: '1', SITE_Y: 'two', VO_LHCB_SW_DIR: '/sw', DIRAC_PILOT_FLAGS: 'lbRunOnly' });
    const ctxFor = async (compute: Record<string, unknown>, env: NodeJS.ProcessEnv) =>
      ({
        params: await resolveParams(compute),
        logger: silentLogger(),
        env,
        workDir: path.join(base, 'compute'),
        pilotStamp: 'compute-stamp',
        startedAt: new Date(),
        shutdown: new AbortController().signal,
        native: null,
      }) as PilotContext;
    const argv = computePilotArgv(await ctxFor({ ...edgeOptions, site: 'DIRAC.Edge.test' }, {}));
    expect(argv).toContain('-k');
    expect(argv.join(' ')).not.toMatch(/SITE_X|lbRunOnly|\/sw/);

    const jobDir = path.join(new StagedLayout(root).workDir(), 'jobs', String(JOB_ID));
    mkdirSync(jobDir, { recursive: true });
    // Written outside the job directory, which the pilot removes once the job is Done.
    const envFile = path.join(base, 'env.txt');
    writeFileSync(path.join(jobDir, 'env.sh'), `#!/bin/sh\nenv > ${envFile}\n`);
    chmodSync(path.join(jobDir, 'env.sh'), 0o755);
    // The compute pilot as computePilotArgv starts it: -k, none of the edge's values.
    const ctx = await ctxFor(
      { runner: 'direct', keepPythonPath: true },
      { PATH: process.env.PATH ?? '/usr/bin:/bin', PYTHONPATH: '/compute/py' },
    );
    expect(params.userEnvVariables).toBeDefined();
    expect(await runStagedJobs(ctx, [dir])).toEqual({ done: 1, failed: 0 });
    const env = readFileSync(envFile, 'utf8');
    for (const line of ['SITE_X=1', 'SITE_Y=two', 'VO_LHCB_SW_DIR=/sw', 'DIRAC_PILOT_FLAGS=lbRunOnly', 'PYTHONPATH=/compute/py']) {
      expect(env.split('\n')).toContain(line);
    }
  });
});
