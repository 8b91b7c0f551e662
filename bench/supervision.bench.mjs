// The pilot's own cost while it supervises running payloads: its CPU time (utime + stime from
// /proc/<pid>/stat, children excluded) and RSS over a window in which all N payloads run, with
// production settings (watchdog every 10 s) and heartbeats every 10 s, once start-up has settled. Baseline, in the same run:
// a bare Node supervisor that spawns the same N payloads with child_process and only waits.
// At the headline level (16 payloads) the pilot also runs once with PILOT_NO_REEXEC=1, the runtime
// as started (no malloc settings: src/pilot/runtime-reexec.ts), so what the re-exec buys is
// measured in the same run; and the median RSS of the window is reported beside its maximum, which
// tells the start-up burst (a young generation grown while 16 jobs start) from the steady state.
// Payloads are "busy" in the way that costs a supervisor: each forks `date` and `sleep` in a loop
// (process churn the watchdog's tree scans must follow), bounded in time; spinning the CPU
// instead would measure the machine's load, not the pilot, on a shared 2-core box.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDevServer, median, node, ownCpuSeconds, round, rssMB, runPilotAgainst, writePlot } from './pilot-harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const BUSY = '#!/bin/sh\nend=$(( $(date +%s) + $1 ))\nwhile [ "$(date +%s)" -lt "$end" ]; do sleep 0.5; done\n';
/** Window lengths: the headline (16 payloads) longer, the plot levels shorter. SUP_LEVELS (JSON) overrides, for a quick look. */
const LEVELS = process.env.SUP_LEVELS
  ? JSON.parse(process.env.SUP_LEVELS)
  : [
      { payloads: 1, windowS: 10 },
      { payloads: 4, windowS: 10 },
      { payloads: 16, windowS: 30 },
      { payloads: 64, windowS: 10 },
    ];
/** Payloads outlive the window by this much: time for all of them to start first (64 take over 12 s on a loaded 2-core VM). */
const MARGIN_S = 30;
/**
 * The window opens this long after the last payload started: what a job of hours costs is the
 * steady state, and the first seconds after start-up carry one-off work (V8's memory reducer runs
 * its full collections once the start-up allocation stops: two of 60-150 ms each, seen with
 * --trace-gc, a third of a 20 s window's cost). SUP_SETTLE_S overrides; 0 measures from the start.
 */
const SETTLE_S = Number(process.env.SUP_SETTLE_S ?? 30);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Samples `pid` over `windowS` once `ready()` holds: CPU % of one core, the largest and the median RSS. */
async function sampleWindow(getPid, ready, windowS) {
  const deadline = Date.now() + MARGIN_S * 1000;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error('payloads did not all start in time');
    await sleep(100);
  }
  await sleep(SETTLE_S * 1000);
  const pid = getPid();
  const cpuStart = ownCpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  const rss = [rssMB(pid) ?? 0];
  const until = Date.now() + windowS * 1000;
  while (Date.now() < until) {
    await sleep(500);
    rss.push(rssMB(pid) ?? 0);
  }
  const cpuEnd = ownCpuSeconds(pid);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (cpuStart === null || cpuEnd === null) throw new Error('process ended inside the window');
  return {
    cpuPercent: ((cpuEnd - cpuStart) / seconds) * 100,
    rssMB: Math.max(...rss),
    medianRssMB: median(rss),
    minRssMB: Math.min(...rss),
  };
}

async function pilotCost(startDevServer, payloads, windowS, env = {}) {
  const duration = windowS + MARGIN_S + SETTLE_S;
  const jobs = Array.from({ length: payloads }, (_, i) => ({
    fields: { JobName: `busy-${i}`, Executable: '/bin/sh', Arguments: `busy.sh ${duration}`, CPUTime: 600 },
    inputFiles: { 'busy.sh': BUSY },
  }));
  const server = await startDevServer({ jobs });
  let pid = 0;
  try {
    const running = runPilotAgainst(server, {
      processors: payloads,
      extra: ['--heartbeat', '10'],
      env,
      onStart: (p) => (pid = p),
      timeoutMs: (duration + 120) * 1000,
    });
    const ready = async () => server.jobs().filter((j) => j.minorStatus === 'Application').length === payloads;
    const window = await sampleWindow(() => pid, ready, windowS);
    await running;
    return window;
  } finally {
    await server.close();
  }
}

/** The same payloads under a bare Node supervisor: spawn, wait, nothing else. */
async function bareCost(payloads, windowS) {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-bare-'));
  try {
    writeFileSync(path.join(dir, 'busy.sh'), BUSY);
    const duration = windowS + MARGIN_S + SETTLE_S;
    const script = `const { spawn } = require('node:child_process');
let left = ${payloads};
for (let i = 0; i < ${payloads}; i++) spawn('/bin/sh', ['busy.sh', '${duration}'], { stdio: 'ignore' }).on('exit', () => { if (--left === 0) process.stdout.write('done'); });
process.stdout.write('started\\n');`;
    const child = spawn(node, ['-e', script], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
    let started = false;
    child.stdout.on('data', (d) => (started ||= String(d).includes('started')));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const window = await sampleWindow(
      () => child.pid,
      async () => started,
      windowS,
    );
    await exited;
    return window;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export default async function run({ log }) {
  const { startDevServer } = loadDevServer();
  const records = [];
  const cpuRows = [];
  const rssRows = [];
  for (const { payloads, windowS } of LEVELS) {
    const pilot = await pilotCost(startDevServer, payloads, windowS);
    const bare = await bareCost(payloads, windowS);
    const headline = payloads === 16;
    const asStarted = headline ? await pilotCost(startDevServer, payloads, windowS, { PILOT_NO_REEXEC: '1' }) : null;
    log(
      `${payloads} payload(s), ${windowS} s window: pilot ${round(pilot.cpuPercent)} % CPU, ${round(pilot.rssMB, 1)} MB; bare node ${round(bare.cpuPercent)} %, ${round(bare.rssMB, 1)} MB${asStarted ? `; pilot without re-exec ${round(asStarted.rssMB, 1)} MB (median ${round(asStarted.medianRssMB, 1)})` : ''}`,
    );
    const label = `${payloads} payload${payloads > 1 ? 's' : ''}`;
    cpuRows.push({ label, values: { pilot: pilot.cpuPercent, 'bare node': bare.cpuPercent } });
    rssRows.push({ label, values: { pilot: pilot.rssMB, 'bare node': bare.rssMB } });
    records.push({
      name: `pilot CPU while supervising ${payloads} payload${payloads > 1 ? 's' : ''} (${windowS} s window)`,
      value: round(pilot.cpuPercent, 3),
      unit: '% of one core',
      baseline: round(bare.cpuPercent, 3),
      baselineName: 'bare Node supervisor (spawn and wait), % of one core',
      ratio: bare.cpuPercent > 0 ? round(pilot.cpuPercent / bare.cpuPercent) : null,
      target: headline ? '< 1 % of one core' : 'plot only',
      ...(headline ? { pass: pilot.cpuPercent < 1 } : {}),
      spread: '1 window',
    });
    records.push({
      name: `pilot RSS while supervising ${payloads} payload${payloads > 1 ? 's' : ''}`,
      value: round(pilot.rssMB, 1),
      unit: 'MB (max in window)',
      baseline: round(bare.rssMB, 1),
      baselineName: 'bare Node supervisor, MB',
      ratio: round(pilot.rssMB / bare.rssMB),
      target: headline ? '< 80 MB' : 'plot only',
      ...(headline ? { pass: pilot.rssMB < 80 } : {}),
      spread: '1 window',
    });
    if (headline) {
      records.push({
        name: `pilot RSS while supervising ${payloads} payloads, median of the window`,
        value: round(pilot.medianRssMB, 1),
        unit: 'MB (median in window)',
        baseline: round(bare.medianRssMB, 1),
        baselineName: 'bare Node supervisor, MB',
        ratio: round(pilot.medianRssMB / bare.medianRssMB),
        target: 'informational (steady state against the start-up burst)',
        spread: `window ${round(pilot.minRssMB, 1)}..${round(pilot.rssMB, 1)} MB`,
      });
      records.push({
        name: `pilot RSS while supervising ${payloads} payloads: runtime settings (re-exec) against the runtime as started`,
        value: round(pilot.rssMB, 1),
        unit: 'MB (max in window)',
        baseline: round(asStarted.rssMB, 1),
        baselineName: `same pilot with PILOT_NO_REEXEC=1 (median ${round(asStarted.medianRssMB, 1)} MB)`,
        ratio: round(pilot.rssMB / asStarted.rssMB),
        target: 'informational (what the malloc settings buy)',
        spread: `medians ${round(pilot.medianRssMB, 1)} vs ${round(asStarted.medianRssMB, 1)} MB`,
      });
    }
  }
  writePlot(
    path.join(here, 'supervision.plot.md'),
    'Supervision cost: pilot vs bare Node supervisor (bench/supervision.bench.mjs)',
    "The pilot's own CPU (utime + stime, children excluded) while N payloads run, heartbeats every 10 s and the watchdog at its default 10 s, measured from 30 s after the last payload started (the steady state: start-up's one-off collections excluded), against a Node process that only spawns and waits for the same payloads. Written by the last `npm run bench`.",
    [
      { caption: 'Own CPU, % of one core:', unit: '%', rows: cpuRows },
      { caption: 'Largest RSS in the window, MB:', unit: 'MB', rows: rssRows },
    ],
  );
  return records;
}
