/**
 * Bad input from every side the pilot reads: pilot.json, the command line, the environment, the
 * server's replies, input sandboxes, batch-system commands. The pilot must end with a documented
 * exit code and one readable line, never a crash, a stack trace or a hang. Inputs are drawn by
 * fast-check from a fixed seed (FC_SEED to change it) and run as real pilot processes, a few at a
 * time; a failure names the input that caused it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startDevServer, type JobSubmission } from '../../src/devserver/index.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { OPTIONS, type OptionSpec } from '../../src/pilot/options.js';
import { readTimeLeft, type CommandRunner } from '../../src/probes/batch/timeleft/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { devPilotArgs, ROOT, runPilot, tempDir, type PilotRun } from '../integration/pilot-process.js';
import { mapLimit, uncleanEnd } from './clean-end.js';
import { startGarblingProxy } from './garbling-proxy.js';
import { copyJobs } from './fleet.js';
import { uploadRawSandbox } from './upload-sandbox.js';
import { CORPUS } from '../sandbox/corpus.js';
import { zstd } from '../sandbox/craft.js';

const SEED = Number(process.env.FC_SEED ?? 20261123);
const RUNS = Number(process.env.FUZZ_RUNS ?? 24);
const PARALLEL = 3;
console.log(`bad-input: fast-check seed ${SEED}, ${RUNS} inputs per property (FC_SEED, FUZZ_RUNS)`);

/** A dry run reads everything the pipeline would read, probes the node, and contacts nobody. */
const DRY = ['--dry-run', '--cpu-power-source', 'config', '--cpu-power', '10', '-T', '1000'];

async function dryRun(args: string[], env: NodeJS.ProcessEnv = {}): Promise<PilotRun> {
  const dir = tempDir('pilot-fuzz-');
  return runPilot(['run', '-w', path.join(dir, 'work'), ...args], { cwd: dir, env: { PATH: '/usr/bin:/bin', ...env }, timeoutMs: 30_000 });
}

/** Runs every input, then fails once listing every input that ended badly. */
async function expectAllClean<T>(inputs: T[], allowed: number[], run: (input: T) => Promise<PilotRun>): Promise<Map<number, number>> {
  const codes = new Map<number, number>();
  const problems = (
    await mapLimit(inputs, PARALLEL, async (input) => {
      const result = await run(input);
      codes.set(result.code ?? -1, (codes.get(result.code ?? -1) ?? 0) + 1);
      const problem = uncleanEnd(result, allowed);
      return problem ? `${problem}\n    input: ${JSON.stringify(input).slice(0, 500)}` : null;
    })
  ).filter((p): p is string => p !== null);
  expect(problems).toEqual([]);
  return codes;
}

// --- pilot.json ---------------------------------------------------------------------------------

/** A pilot.json in the new schema as PilotCStoJSONSynchronizer writes it (shape from dirac-pilot.md §1). */
const VALID_PILOT_JSON = {
  timestamp: '2025-11-01T10:00:00',
  DefaultSetup: 'LHCb-Production',
  CEs: { 'ce01.example.org': { Site: 'LCG.Example.org', GridCEType: 'HTCondorCE', LocalCEType: 'Pool', long: { LocalCEType: 'Pool' } } },
  Defaults: {
    Pilot: {
      Commands: { HTCondorCE: ['CheckWorkerNode', 'ConfigureSite', 'LaunchAgent'] },
      Version: 'v9.0.0',
      CVMFS_locations: ['/cvmfs/lhcb.cern.ch'],
    },
  },
  lhcb: { Pilot: { PilotLogLevel: 'DEBUG', RemoteLogging: false } },
  ConfigurationServers: ['dips://cs.example.org:9135/Configuration/Server'],
};
const PILOT_JSON_SELECTORS = ['-N', 'ce01.example.org', '-Q', 'long', '--wnVO', 'lhcb'];

/** Every path to a value in a JSON document, so a mutation can reach any of them. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const children = Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => paths(v, [...prefix, k]));
  return [prefix, ...children];
}

function mutate(doc: unknown, at: string[], replacement: unknown, remove: boolean): unknown {
  if (at.length === 0) return replacement;
  const copy = structuredClone(doc) as Record<string, unknown>;
  let node = copy;
  for (const key of at.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = at[at.length - 1]!;
  if (remove) delete node[last];
  else node[last] = replacement;
  return copy;
}

const pilotJsonText: fc.Arbitrary<string> = fc.oneof(
  // Anything JSON, anything text.
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  // The valid file with one value replaced, removed, or the text cut short.
  fc
    .tuple(fc.constantFrom(...paths(VALID_PILOT_JSON)), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
    .map(([at, v, remove]) => JSON.stringify(mutate(VALID_PILOT_JSON, at, v, remove))),
  fc.nat({ max: JSON.stringify(VALID_PILOT_JSON).length - 1 }).map((n) => JSON.stringify(VALID_PILOT_JSON).slice(0, n)),
);

describe('pilot.json fuzzing (run --dry-run -F)', () => {
  it('a valid pilot.json runs', async () => {
    const dir = tempDir('pilot-fuzz-');
    writeFileSync(path.join(dir, 'pilot.json'), JSON.stringify(VALID_PILOT_JSON));
    const run = await dryRun(['-F', path.join(dir, 'pilot.json'), ...PILOT_JSON_SELECTORS, ...DRY]);
    expect(uncleanEnd(run, [0])).toBeNull();
    expect(JSON.parse(run.stdout).request.resources.Site).toBe('LCG.Example.org');
  });

  it('random and mutated pilot.json end with 0, USAGE or CONFIG and one line', async () => {
    const texts = fc.sample(pilotJsonText, { numRuns: RUNS * 2, seed: SEED });
    const codes = await expectAllClean(texts, [0, 2, 3], async (text) => {
      const dir = tempDir('pilot-fuzz-');
      writeFileSync(path.join(dir, 'pilot.json'), text);
      return dryRun(['-F', path.join(dir, 'pilot.json'), ...PILOT_JSON_SELECTORS, ...DRY]);
    });
    // The generator must have produced both kinds, or the property proved little.
    expect(codes.get(0)).toBeGreaterThan(0);
    expect(codes.get(3)).toBeGreaterThan(0);
  }, 120_000);
});

// --- command line and environment ----------------------------------------------------------------

/**
 * Options left out of fuzzing, with why: the work directory and the edge directory would let a
 * random string create directories anywhere (the tests run as root); edge mode submits to Slurm;
 * `exec`-only options do nothing under `run`; --architectureScript runs whatever it names on PATH.
 */
const NOT_FUZZED = new Set(['workDir', 'edgeDir', 'edge', 'staged', 'job', 'edgePilotCommand', 'edgeComputePrefix', 'architectureScript']);
const fuzzable = (OPTIONS as readonly OptionSpec[]).filter((o) => !NOT_FUZZED.has(o.key));

const optionValue: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer({ min: -10_000, max: 100_000 }).map(String),
  fc.constantFrom(
    '',
    '0',
    '-1',
    '1e309',
    'NaN',
    'True',
    'false',
    'yes',
    '1,2,,3',
    'a=b',
    '=',
    '--',
    '-',
    'direct',
    'db12',
    'diracx',
    'dirac',
    'Pool',
    ' ',
  ),
);

const optionToken: fc.Arbitrary<string[]> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom(...fuzzable), optionValue, fc.nat({ max: 2 }))
      .map(([spec, value, form]) => spell(spec, value, form)),
  },
  { weight: 1, arbitrary: fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), optionValue).map(([name, value]) => [`--${name}`, value]) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map((word) => [word]) },
);

function spell(spec: OptionSpec, value: string, form: number): string[] {
  const takesValue = spec.type !== 'flag';
  if (form === 2 && spec.short) return takesValue ? [`-${spec.short}`, value] : [`-${spec.short}`];
  if (!takesValue) return [`--${spec.long}`];
  return form === 0 ? [`--${spec.long}=${value}`] : [`--${spec.long}`, value];
}

describe('command-line fuzzing (run … --dry-run)', () => {
  it('random options and values end with 0, USAGE, CONFIG or UNKNOWN_COMMAND and one line', async () => {
    const argvs = fc.sample(
      fc.array(optionToken, { minLength: 1, maxLength: 4 }).map((tokens) => tokens.flat()),
      { numRuns: RUNS * 2, seed: SEED },
    );
    const codes = await expectAllClean(argvs, [0, 2, 3, 4], (argv) => dryRun([...argv, ...DRY]));
    expect(codes.get(2)).toBeGreaterThan(0);
  }, 120_000);
});

describe('environment fuzzing (the variables of src/pilot/options.ts)', () => {
  const variables = fuzzable.filter((o): o is OptionSpec & { env: string } => o.env !== undefined && o.env !== 'PILOT_WORKDIR');
  it('random values for the pilot’s variables end with 0, USAGE, CONFIG or UNKNOWN_COMMAND and one line', async () => {
    const envs = fc.sample(
      fc.dictionary(
        fc.constantFrom(...variables.map((v) => v.env)),
        optionValue.filter((v) => !v.includes('\0')),
        { minKeys: 1, maxKeys: 5 },
      ),
      { numRuns: RUNS * 2, seed: SEED },
    );
    await expectAllClean(envs, [0, 2, 3, 4], (env) => dryRun(DRY, env));
  }, 120_000);
});

// --- malformed server replies ----------------------------------------------------------------------

/** Every route the pilot calls in a run with one job that lives past a heartbeat and starts with an expired access token. */
const PILOT_ROUTES: Array<[string, RegExp]> = [
  ['token refresh', /^POST \/api\/auth\/token$/],
  ['pilot registration', /^POST \/api\/pilots\/?$/],
  ['pilot metadata', /^PATCH \/api\/pilots\/metadata$/],
  ['match', /^POST \/api\/jobs\/match$/],
  ['job status', /^PATCH \/api\/jobs\/status$/],
  ['job metadata', /^PATCH \/api\/jobs\/metadata$/],
  ['heartbeat', /^PATCH \/api\/jobs\/heartbeat$/],
  ['input sandbox URL', /^GET \/api\/jobs\/sandbox$/],
  ['output sandbox upload', /^POST \/api\/jobs\/sandbox$/],
  ['output sandbox assignment', /^PATCH \/api\/jobs\/\d+\/sandbox\/output$/],
];

describe('malformed server replies, one route at a time', () => {
  const cases = PILOT_ROUTES.flatMap(([name, route]) =>
    (['html', 'truncated-json', 'wrong-types'] as const).map((kind) => ({ name, route, kind })),
  );

  it(`${cases.length} route × garble cases end with OK, SERVER_UNREACHABLE or SERVER_PROTOCOL, one line, no hang`, async () => {
    const outcomes = await mapLimit(cases, PARALLEL, async ({ name, route, kind }) => {
      const server = await startDevServer({ jobs: [sleepyJob()] });
      const proxy = await startGarblingProxy(server.url, route, kind);
      try {
        const dir = tempDir('pilot-garble-');
        const credentials = path.join(dir, 'credentials.json');
        const issued = server.issuePilotCredentials();
        // Already expired here, so the pilot refreshes first and the token route is exercised.
        writeFileSync(credentials, JSON.stringify({ ...issued, expires_on: Math.floor(Date.now() / 1000) - 5 }), { mode: 0o600 });
        const run = await runPilot(devPilotArgs({ url: proxy.url }, credentials, path.join(dir, 'work'), ['--lifetime', '20']), {
          timeoutMs: 60_000,
        });
        const job = server.jobs()[0]!;
        return {
          name,
          kind,
          code: run.code,
          garbled: proxy.garbled,
          job: `${job.status}/${job.minorStatus}`,
          problem: uncleanEnd(run, allowed(name)),
        };
      } finally {
        await proxy.close();
        await server.close();
      }
    });
    console.table(outcomes.map(({ problem, ...o }) => ({ ...o, clean: problem === null })));
    // Every route was reached and garbled at least once, or the case tested nothing.
    expect(outcomes.filter((o) => o.garbled === 0).map((o) => `${o.name} ${o.kind}`)).toEqual([]);
    expect(outcomes.filter((o) => o.problem).map((o) => `${o.name} ${o.kind}: ${o.problem}`)).toEqual([]);
  }, 180_000);
});

/**
 * A job whose input sandbox cannot be fetched goes back to the queue (as DIRAC's JobWrapper does):
 * the same pilot takes it again until black-hole protection stops it.
 */
function allowed(route: string): ExitCode[] {
  const codes = [ExitCode.OK, ExitCode.SERVER_UNREACHABLE, ExitCode.SERVER_PROTOCOL];
  return route === 'input sandbox URL' ? [...codes, ExitCode.BLACK_HOLE] : codes;
}

/** One job that outlives several 1 s heartbeats (a loaded CI machine delays the first) and returns an output sandbox. */
function sleepyJob(): JobSubmission {
  return {
    fields: {
      JobName: 'sleepy',
      Executable: '/bin/sh',
      Arguments: 'run.sh',
      StdOutput: 'std.out',
      StdError: 'std.err',
      OutputSandbox: ['std.out', 'std.err'],
      CPUTime: 60,
    },
    inputFiles: { 'run.sh': '#!/bin/sh\nsleep 3\necho done\n' },
  };
}

// --- hostile input sandboxes -------------------------------------------------------------------

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const isTar = (b: Buffer) => b.length >= 263 && b.subarray(257, 262).toString('latin1') === 'ustar';

/**
 * The corpus archive as a user could upload it: DiracX sandboxes are tar.zst or tar.bz2, so a bare
 * tar is zstd-compressed (its hostile entries untouched) and anything else goes up as it is.
 */
function asUpload(data: Buffer): { data: Buffer; format: 'tar.zst' | 'tar.bz2' } {
  if (data.subarray(0, 3).toString('latin1') === 'BZh') return { data, format: 'tar.bz2' };
  if (data.subarray(0, 4).equals(ZSTD_MAGIC) || !isTar(data)) return { data, format: 'tar.zst' };
  return { data: zstd(data), format: 'tar.zst' };
}

describe('hostile input sandboxes through the dev server', () => {
  // Cases the default limits apply to (the others tighten limits the pilot does not expose) and
  // that the server accepts (it refuses an empty upload; gzip is not a DiracX sandbox format).
  const cases = CORPUS.filter(
    (c) => !c.limits && !c.expectedSha256 && c.archive().length > 0 && c.archive().subarray(0, 2).toString('hex') !== '1f8b',
  );

  it(`${cases.length} hostile archives: each job Failed with a minor status naming the refusal, nothing written outside its job directory`, async () => {
    const server = await startDevServer();
    try {
      const ids = new Map<number, string>();
      for (const c of cases) {
        const upload = asUpload(c.archive());
        const pfn = await uploadRawSandbox(server, upload.data, upload.format);
        ids.set(
          server.submitJob({ fields: { JobName: c.name.replace(/"/g, "'"), Executable: '/bin/true', InputSandbox: [pfn], CPUTime: 60 } }),
          c.reason,
        );
      }
      const honest = server.submitJob(copyJobs(1)[0]!);
      const dir = tempDir('pilot-hostile-');
      const credentials = path.join(dir, 'credentials.json');
      await server.writePilotCredentials(credentials);
      const work = path.join(dir, 'work');
      // Refused sandboxes are node failures for black-hole protection: raise the threshold so one pilot sees them all.
      const run = await runPilot(
        devPilotArgs(server, credentials, work, ['-P', '4', '--PollingTime', '0.1', '--black-hole-threshold', '1000']),
        { timeoutMs: 120_000 },
      );
      expect(uncleanEnd(run, [ExitCode.OK])).toBeNull();

      const wrong: string[] = [];
      for (const [id, reason] of ids) {
        const job = server.job(id)!;
        if (job.status !== 'Failed' || !/^Input Sandbox (Refused|Download Failed)/.test(job.minorStatus))
          wrong.push(`${job.jdl.match(/JobName = "([^"]*)"/)?.[1]} (${reason}): ${job.status}/${job.minorStatus}`);
      }
      expect(wrong).toEqual([]);
      if (process.env.SHOW_MINOR) for (const id of ids.keys()) console.log(server.job(id)!.minorStatus);
      expect(server.job(honest)!.status).toBe('Done');
      // Nothing escaped: the work directory holds only what the pilot itself writes, and no
      // corpus target exists outside it.
      expect(readdirSync(path.dirname(work)).sort()).toEqual(['credentials.json', 'work']);
      // Only the pilot's own areas: jobs, tokens (made before any payload, for each payload's private view), the log, the spool.
      expect(readdirSync(work).filter((e) => !['jobs', 'tokens', 'pilot.log', 'spool'].includes(e))).toEqual([]);
      for (const target of [
        '/tmp/pwned',
        '/etc/cron.d/pwned',
        path.join(work, 'outside.txt'),
        path.join(work, 'jobs', 'outside.txt'),
        path.join(dir, 'outside.txt'),
      ]) {
        expect(existsSync(target), target).toBe(false);
      }
    } finally {
      await server.close();
    }
  }, 150_000);
});

// --- batch-system outputs cut short ---------------------------------------------------------------

const BATCH = path.join(ROOT, 'tests', 'fixtures', 'batch-outputs');
const batchFile = (name: string) => readFileSync(path.join(BATCH, name), 'utf8');

/** Per batch system: the variables that select it, and the captured output each command or file gives. */
const SYSTEMS: Record<string, { env: Record<string, string>; outputs: Record<string, string> }> = {
  slurm: {
    env: { SLURM_JOB_ID: '1234' },
    outputs: { sacct: 'slurm/sacct-dirac-vector.txt', scontrol: 'slurm/scontrol-show-job-running.txt', squeue: 'slurm/squeue-running.txt' },
  },
  htcondor: {
    env: { _CONDOR_JOB_AD: '/batch/job.ad' },
    outputs: { condor_status: 'htcondor/condor_status-af.txt', '/batch/job.ad': 'htcondor/job.ad' },
  },
  pbs: { env: { PBS_JOBID: '4242.pbs.example.org' }, outputs: { qstat: 'pbs/qstat-f-running.txt' } },
  lsf: {
    env: { LSB_JOBID: '551234', LSB_QUEUE: 'grid_lhcb', LSB_HOSTS: 'wn0815.example.org', LSF_BINDIR: '/opt/lsf/bin' },
    outputs: {
      bqueues: 'lsf/bqueues-l-reference.txt',
      lshosts: 'lsf/lshosts-w-host.txt',
      lsinfo: 'lsf/lsinfo-m.txt',
      bjobs: 'lsf/bjobs-W.txt',
    },
  },
  sge: { env: { SGE_TASK_ID: 'undefined', JOB_ID: '777' }, outputs: { qstat: 'sge/qstat-f-j.txt', qconf: 'sge/qconf-se.txt' } },
  mjf: {
    env: { MACHINEFEATURES: '/mjf/machine', JOBFEATURES: '/mjf/job' },
    outputs: Object.fromEntries(
      ['machine', 'job'].flatMap((d) => readdirSync(path.join(BATCH, 'mjf', d)).map((f) => [`/mjf/${d}/${f}`, `mjf/${d}/${f}`])),
    ),
  },
};

describe('batch-system outputs cut short (time-left sources)', () => {
  const cut = fc.record({
    system: fc.constantFrom(...Object.keys(SYSTEMS)),
    which: fc.nat(),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
  });

  /** Reads the time left with `victim`'s output cut to the fraction `at` (1: intact). */
  async function readCut(system: string, which: number, at: number) {
    const { env, outputs } = SYSTEMS[system]!;
    const keys = Object.keys(outputs);
    const victim = keys[which % keys.length]!;
    const text = (key: string) => {
      const full = batchFile(outputs[key]!);
      return key === victim ? full.slice(0, Math.floor(full.length * at)) : full;
    };
    const run: CommandRunner = async (command) => {
      const key = path.basename(command);
      return key in outputs
        ? { exitCode: 0, stdout: text(key), stderr: '' }
        : { exitCode: 127, stdout: '', stderr: `${command}: not found` };
    };
    const readText = async (location: string) => {
      if (!(location in outputs)) throw new Error(`${location}: ENOENT`);
      return text(location);
    };
    const report = await readTimeLeft({
      env,
      batch: null,
      run,
      readText,
      config: { maxCPUTime: 3600 },
      logger: silentLogger(),
      now: () => 1_763_858_700,
      pilotStartedAt: 1_763_858_600,
      hostname: 'wn0815.example.org',
    });
    return report;
  }

  it('the captured outputs, intact, give each system’s own numbers (so a cut one is a real test)', async () => {
    for (const system of Object.keys(SYSTEMS)) {
      const report = await readCut(system, 0, 1);
      expect(report.source, `${system}: ${JSON.stringify(report.attempts)}`).toMatch(new RegExp(`^${system}`));
    }
  });

  it('each source fails with a one-line error and the chain moves on, or reads numbers; never throws', async () => {
    let movedOn = 0;
    await fc.assert(
      fc.asyncProperty(cut, async ({ system, which, at }) => {
        const report = await readCut(system, which, at);
        if (report.attempts.length > 0) movedOn++;
        expect(Number.isFinite(report.secondsLeft)).toBe(true);
        for (const attempt of report.attempts) {
          expect(attempt.error).not.toContain('\n');
          expect(attempt.error.length).toBeGreaterThan(0);
        }
        // Either a source of this system gave numbers, or the configured fallback did.
        expect(report.source.startsWith(`${system}`) || report.source.startsWith('config:')).toBe(true);
      }),
      { numRuns: 300, seed: SEED },
    );
    expect(movedOn).toBeGreaterThan(0);
  });
});
