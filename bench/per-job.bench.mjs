// Per-job overhead of the pilot on loopback: N trivial jobs (/bin/true, direct runner, no
// sandboxes) through the pilot against the dev server, against the same payload spawned N times
// with child_process in the same run. The pilot's per-job time is (T(N jobs) - T(0 jobs)) / N, so
// its start-up and the final empty match are not charged to the jobs; overhead = that minus the
// direct per-job time. Headline at 1 slot (the serial cost of a job: match, statuses, spawn,
// supervision, reports); the plot adds 4, 16 and 64 slots.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDevServer, median, round, runDirect, runPilotAgainst, spreadOf, writePlot } from './pilot-harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TRUE = '/bin/true';
const trivialJob = (i) => ({ fields: { JobName: `bench-${i}`, Executable: TRUE, CPUTime: 60 } });
const LEVELS = [
  { slots: 1, jobs: 60 },
  { slots: 4, jobs: 60 },
  { slots: 16, jobs: 96 },
  { slots: 64, jobs: 192 },
];

/** One measurement at `slots`: pilot ms per job (start-up removed) and direct ms per job. */
async function measure(startDevServer, slots, jobs) {
  const empty = await startDevServer();
  let t0;
  try {
    t0 = await runPilotAgainst(empty, { processors: slots });
  } finally {
    await empty.close();
  }
  const server = await startDevServer({ jobs: Array.from({ length: jobs }, (_, i) => trivialJob(i)) });
  let tn;
  try {
    tn = await runPilotAgainst(server, { processors: slots });
    const notDone = server.jobs().filter((j) => j.status !== 'Done');
    if (notDone.length > 0)
      throw new Error(`${notDone.length} jobs did not end Done (first: ${notDone[0].status}/${notDone[0].minorStatus})`);
  } finally {
    await server.close();
  }
  const direct = await runDirect(TRUE, [], jobs, slots);
  return { pilot: (tn - t0) / jobs, direct: direct / jobs };
}

export default async function run({ runs, log }) {
  const { startDevServer } = loadDevServer();
  const repeats = Math.max(3, Math.min(runs, 5));
  const records = [];
  const rows = [];
  for (const { slots, jobs } of LEVELS) {
    // The headline level is repeated; the plot levels once each keep the bench near a minute.
    const count = slots === 1 ? repeats : 1;
    const samples = [];
    for (let i = 0; i < count; i++) samples.push(await measure(startDevServer, slots, jobs));
    const pilot = median(samples.map((s) => s.pilot));
    const direct = median(samples.map((s) => s.direct));
    const overheads = samples.map((s) => s.pilot - s.direct);
    log(`${slots} slot(s), ${jobs} jobs x${count}: pilot ${round(pilot)} ms/job, direct ${round(direct)} ms/job`);
    rows.push({ label: `${slots} slot${slots > 1 ? 's' : ''}`, values: { pilot: pilot, 'direct spawn': direct } });
    if (slots === 1) {
      const overhead = median(overheads);
      records.push({
        name: `per-job overhead, 1 slot (${jobs} /bin/true jobs)`,
        value: round(overhead),
        unit: 'ms/job',
        baseline: round(direct),
        baselineName: 'child_process spawn of /bin/true, ms/job',
        ratio: round(pilot / direct),
        target: 'overhead < 30 ms',
        pass: overhead < 30,
        spread: spreadOf(overheads, 'ms'),
      });
    } else {
      records.push({
        name: `pilot wall time per job, ${slots} slots (${jobs} jobs)`,
        value: round(pilot),
        unit: 'ms/job',
        baseline: round(direct),
        baselineName: `child_process spawn of /bin/true, ${slots} at a time, ms/job`,
        ratio: round(pilot / direct),
        target: 'plot only',
        spread: `1 run`,
      });
    }
  }
  writePlot(
    path.join(here, 'per-job.plot.md'),
    'Per-job time: pilot vs direct spawn (bench/per-job.bench.mjs)',
    'Wall time per trivial job (/bin/true) through the pilot on loopback against the dev server (start-up removed), and for spawning the same payload with child_process, by number of slots. Written by the last `npm run bench`.',
    [{ caption: 'Milliseconds per job:', unit: 'ms/job', rows }],
  );
  return records;
}
