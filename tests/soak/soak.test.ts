/**
 * Soak: one pilot supervising a steady stream of short jobs (4 slots, heartbeats every second)
 * for SOAK_SECONDS (default 600). Its RSS and open file descriptors are sampled from /proc every
 * few seconds. "Flat", after a warm-up: over the second half of the run the least-squares slope of
 * RSS stays under RSS_SLOPE_MB_PER_MIN and that of the descriptors under FD_SLOPE_PER_MIN (a leak
 * grows steadily; a plateau reached early does not), and the last quarter's medians sit within a
 * slack of the first quarter's (growth over the whole run is bounded too). Every job must still
 * end Done exactly once. Run with `npm run soak` (vitest.soak.config.ts); `npm test` skips it.
 * SOAK_PILOT_ENV (JSON) adds variables to the pilot's environment, for comparisons (e.g.
 * {"PILOT_NO_REEXEC":"1"} keeps the runtime as started).
 */
import path from 'node:path';
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { devPilotArgs, runPilot, tempDir } from '../integration/pilot-process.js';
import { checkFinal } from '../reliability/fleet.js';
import { median, openFds, rssMB, slopePerMinute, type ProcSample } from './proc-sample.js';

const SOAK = process.env.PILOT_SOAK === '1';
const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
/**
 * SOAK_MAX_OLD_SPACE_MB caps the pilot's V8 old space (NODE_OPTIONS). With the default heap V8
 * grows lazily and RSS climbs for minutes before it settles; with a cap, a JavaScript leak can no
 * longer hide behind that: it ends in an out-of-memory exit. docs/reliability.md has both figures.
 */
const MAX_OLD_SPACE_MB = process.env.SOAK_MAX_OLD_SPACE_MB;
const PILOT_ENV = JSON.parse(process.env.SOAK_PILOT_ENV ?? '{}') as Record<string, string>;
const SAMPLE_EVERY_MS = 3000;
/** Samples from the first WARMUP_S seconds are left out: the JIT, the first jobs, buffers filling. */
const WARMUP_S = Math.min(60, SECONDS / 5);
/** How far the last quarter may drift above the first: a leak of a few hundred jobs' worth shows well past this. */
const RSS_SLACK_MB = 10;
const FD_SLACK = 6;
/**
 * Largest growth rate over the second half. 1 MB/min is 60 MB an hour: a pilot in a 48-hour slot
 * leaking at that rate would be visible, and what the pilot allocates per job (a few kB) would
 * show as well under it (about 60 jobs a minute here).
 */
const RSS_SLOPE_MB_PER_MIN = 1;
const FD_SLOPE_PER_MIN = 0.5;

if (!SOAK) console.log('soak: skipped; it runs for SOAK_SECONDS (default 600) with `npm run soak`');

/** A job that lives a few seconds, heartbeats a few times, and returns a small output. */
function soakJob(index: number) {
  return {
    fields: {
      JobName: `soak-${index}`,
      Executable: '/bin/sh',
      Arguments: `run.sh ${2 + (index % 5)}`,
      StdOutput: 'std.out',
      StdError: 'std.err',
      OutputSandbox: ['std.out', 'std.err'],
      CPUTime: 60,
    },
    inputFiles: { 'run.sh': '#!/bin/sh\nsleep "$1"\necho "soak job slept $1 s"\n' },
  };
}

let server: DevServer | undefined;
let dir: string | undefined;
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!SOAK)(`soak: a pilot supervising jobs for ${SECONDS} s`, () => {
  it('keeps RSS and open fds flat, and ends every job Done once', async () => {
    server = await startDevServer();
    const s = server;
    dir = tempDir('pilot-soak-');
    const credentials = path.join(dir, 'credentials.json');
    await s.writePilotCredentials(credentials);
    let submitted = 0;
    const topUp = () => {
      const waiting = s.jobs().filter((j) => j.status === 'Waiting').length;
      for (let i = waiting; i < 8; i++) s.submitJob(soakJob(submitted++));
    };
    topUp();

    let pid = 0;
    const pilot = runPilot(
      devPilotArgs(s, credentials, path.join(dir, 'work'), [
        '-P',
        '4',
        '--PollingTime',
        '1',
        '--StopAfterFailedMatches',
        '3',
        '--heartbeat',
        '1',
        '-M',
        '100000',
      ]),
      {
        timeoutMs: (SECONDS + 180) * 1000,
        onSpawn: (p) => (pid = p),
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...(MAX_OLD_SPACE_MB ? { NODE_OPTIONS: `--max-old-space-size=${MAX_OLD_SPACE_MB}` } : {}),
          ...PILOT_ENV,
        },
      },
    );
    const started = Date.now();
    const samples: ProcSample[] = [];
    const sampler = setInterval(() => {
      const elapsed = (Date.now() - started) / 1000;
      if (elapsed < SECONDS) topUp();
      const rss = rssMB(pid);
      const fds = openFds(pid);
      if (rss !== null && fds !== null && elapsed < SECONDS) samples.push({ t: elapsed, rssMB: rss, fds });
    }, SAMPLE_EVERY_MS);
    const run = await pilot.finally(() => clearInterval(sampler));

    expect(run.code, run.stderr.slice(-2000)).toBe(ExitCode.OK);
    const jobs = s.jobs();
    const problems = jobs
      .map((j) => checkFinal(j).problem ?? (j.status === 'Done' ? null : `job ${j.id} ${j.status}/${j.minorStatus}`))
      .filter(Boolean);
    expect(problems).toEqual([]);
    expect(s.violations).toEqual([]);

    const steady = samples.filter((x) => x.t >= WARMUP_S);
    expect(steady.length).toBeGreaterThanOrEqual(8);
    const quarter = Math.max(2, Math.floor(steady.length / 4));
    const first = steady.slice(0, quarter);
    const last = steady.slice(-quarter);
    const secondHalf = steady.slice(Math.floor(steady.length / 2));
    const figures = {
      seconds: SECONDS,
      maxOldSpaceMB: MAX_OLD_SPACE_MB ?? 'default',
      pilotEnv: PILOT_ENV,
      jobs: jobs.length,
      heartbeats: jobs.reduce((n, j) => n + j.heartbeats.length, 0),
      samples: samples.length,
      rssMB: {
        firstQuarterMedian: +median(first.map((x) => x.rssMB)).toFixed(1),
        lastQuarterMedian: +median(last.map((x) => x.rssMB)).toFixed(1),
        max: +Math.max(...steady.map((x) => x.rssMB)).toFixed(1),
        secondHalfSlopeMBPerMin: +slopePerMinute(secondHalf, (x) => x.rssMB).toFixed(2),
      },
      fds: {
        firstQuarterMedian: median(first.map((x) => x.fds)),
        lastQuarterMedian: median(last.map((x) => x.fds)),
        max: Math.max(...steady.map((x) => x.fds)),
        secondHalfSlopePerMin: +slopePerMinute(secondHalf, (x) => x.fds).toFixed(2),
      },
    };
    console.log(`soak figures: ${JSON.stringify(figures)}`);
    // The pilot logs its own memory every minute at debug level: heap against native growth.
    const memory = readFileSync(path.join(dir, 'work', 'pilot.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"pilot memory"'));
    console.log(
      `pilot memory (rss, heapUsed, heapTotal, external, arrayBuffers MB):\n${memory
        .map((l) => {
          const m = JSON.parse(l);
          return `  ${m.rssMB} ${m.heapUsedMB} ${m.heapTotalMB} ${m.externalMB} ${m.arrayBuffersMB}`;
        })
        .join('\n')}`,
    );
    expect(figures.rssMB.secondHalfSlopeMBPerMin).toBeLessThanOrEqual(RSS_SLOPE_MB_PER_MIN);
    expect(figures.fds.secondHalfSlopePerMin).toBeLessThanOrEqual(FD_SLOPE_PER_MIN);
    expect(figures.rssMB.lastQuarterMedian).toBeLessThanOrEqual(figures.rssMB.firstQuarterMedian + RSS_SLACK_MB);
    expect(figures.fds.lastQuarterMedian).toBeLessThanOrEqual(figures.fds.firstQuarterMedian + FD_SLACK);
  });
});
