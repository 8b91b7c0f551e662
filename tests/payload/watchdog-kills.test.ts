import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { makeJobDir, NODE, QUIET_LIMITS, removeDir, runningWithTag, runPayload, testTag, waitFor } from './helpers.js';
import type { WatchdogLimits } from '../../src/payload/watchdog/limits.js';

const dirs: string[] = [];
const tags: ReturnType<typeof testTag>[] = [];
afterEach(() => {
  for (const tag of tags.splice(0)) expect(runningWithTag(tag)).toEqual([]);
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function run(argv: string[], limits: Partial<WatchdogLimits>) {
  const dir = makeJobDir();
  const tag = testTag();
  dirs.push(dir);
  tags.push(tag);
  return { dir, handle: runPayload(dir, argv, { tag, limits: { ...QUIET_LIMITS, ...limits } }) };
}

// Each payload would run for minutes if the watchdog did not kill it; none burns CPU for long.
describe('watchdog kills', () => {
  it('wall clock over the limit', async () => {
    const { handle } = run(['/bin/sleep', '300'], { wallClockSeconds: 0.5 });
    const result = await handle.done;
    expect(result).toMatchObject({ killReason: 'wallclock', minorStatus: 'Job has exceeded maximum wall clock time' });
    expect(result.usage.wallSeconds).toBeGreaterThan(0.5);
  });

  it('stalled: CPU/wall below the ratio over the window', async () => {
    const { handle } = run(['/bin/sleep', '300'], { stalled: { windowSeconds: 0.5, minCpuRatio: 0.05 } });
    expect(await handle.done).toMatchObject({ killReason: 'stalled', minorStatus: 'Watchdog identified this job as stalled' });
  });

  it('not stalled while the payload computes', async () => {
    // Busy until it has used 1 s of CPU (however long a crowded machine makes that take), then exits.
    // A low ratio keeps this true on a crowded machine, where the busy loop gets only a share of a core.
    const { handle } = run([NODE, '-e', 'while (process.cpuUsage().user < 1e6) {}'], {
      stalled: { windowSeconds: 0.5, minCpuRatio: 0.01 },
    });
    const result = await handle.done;
    expect(result).toMatchObject({ killReason: null, exitCode: 0 });
    expect(result.usage.cpuSeconds).toBeGreaterThan(0.5);
  });

  it('CPU over the limit, counted over the whole tree', async () => {
    // The CPU is burnt by a grandchild, so a check of the root alone would miss it.
    const burn = `require('node:child_process').spawnSync(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'inherit' })`;
    const { handle } = run([NODE, '-e', burn], { cpuSeconds: 0.5 });
    const result = await handle.done;
    expect(result).toMatchObject({ killReason: 'cpu', minorStatus: 'Job has exceeded maximum CPU time limit' });
    expect(result.usage.cpuSeconds).toBeGreaterThan(0.5);
  });

  it('memory (PSS of the tree) over the limit', async () => {
    const hog = 'const b = Buffer.alloc(200 * 1024 * 1024, 1); setInterval(() => b[0]++, 1000);';
    const { handle } = run([NODE, '-e', hog], { memoryMB: 120 });
    const result = await handle.done;
    expect(result).toMatchObject({ killReason: 'memory', minorStatus: 'Memory limit exceeded' });
    expect(result.usage.maxPssMB).toBeGreaterThan(120);
  });

  it('stdout over its maximum size', async () => {
    const flood =
      "const line = 'x'.repeat(1023) + '\\n'; setInterval(() => { for (let i = 0; i < 64; i++) process.stdout.write(line); }, 5);";
    const { handle } = run([NODE, '-e', flood], { maxStdoutBytes: 256 * 1024 });
    expect(await handle.done).toMatchObject({ killReason: 'stdout', minorStatus: 'Standard output exceeded limit' });
  });

  it('looping: nothing written in the job directory for too long', async () => {
    const { handle } = run(['/bin/sleep', '300'], { loopingSeconds: 0.5 });
    expect(await handle.done).toMatchObject({ killReason: 'looping', minorStatus: 'Watchdog identified this job as looping' });
  });

  it('not looping while the payload keeps writing', async () => {
    // A shell starts in milliseconds, so the first write comes long before the limit even on a crowded machine.
    const writer = 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do echo $i > progress; sleep 0.2; done';
    const { handle } = run(['/bin/sh', '-c', writer], { loopingSeconds: 1.2 });
    expect(await handle.done).toMatchObject({ killReason: null, exitCode: 0 });
  });

  it('time left in the slot runs out', async () => {
    let left = 30;
    const { handle } = run(['/bin/sleep', '300'], { timeLeftSeconds: () => (left -= 10), timeLeftFloorSeconds: 5 });
    expect(await handle.done).toMatchObject({ killReason: 'timeleft', minorStatus: 'Job has reached the CPU limit of the queue' });
  });

  it('disk below the minimum', async () => {
    const { handle } = run(['/bin/sleep', '300'], { minDiskMB: Number.MAX_SAFE_INTEGER });
    expect(await handle.done).toMatchObject({ killReason: 'disk', minorStatus: 'Job has insufficient disk space to continue' });
  });

  it('sample() gives the heartbeat fields and the last lines of stdout', async () => {
    const script = 'for i in $(seq 1 50); do echo "line $i"; done; echo ready > ready; exec sleep 300';
    const { dir, handle } = run(['/bin/sh', '-c', script], { stdoutTailLines: 3 });
    await waitFor(() => existsSync(`${dir}/ready`));
    await new Promise((r) => setTimeout(r, 300));
    const beat = handle.sample();
    expect(beat.StandardOutput).toBe('line 48\nline 49\nline 50');
    expect(beat.WallClockTime).toBeGreaterThan(0);
    expect(beat.MemoryUsed).toBeGreaterThan(0);
    expect(beat.Vsize).toBeGreaterThan(0);
    expect(beat.CPUConsumed).toBeGreaterThanOrEqual(0);
    expect(beat.AvailableDiskSpace).toBeGreaterThan(0);
    expect(typeof beat.LoadAverage).toBe('number');
    handle.kill('server');
    await handle.done;
  });
});
