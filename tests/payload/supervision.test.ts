import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRunning, makeJobDir, removeDir, runningWithTag, runPayload, testTag, waitFor } from './helpers.js';

const dirs: string[] = [];
const tags: ReturnType<typeof testTag>[] = [];
function setup() {
  const dir = makeJobDir();
  const tag = testTag();
  dirs.push(dir);
  tags.push(tag);
  return { dir, tag };
}

afterEach(() => {
  // Zero processes left after every test, whatever the test itself checked.
  for (const tag of tags.splice(0)) expect(runningWithTag(tag)).toEqual([]);
  for (const dir of dirs.splice(0)) removeDir(dir);
});

const readPid = (file: string) => Number(readFileSync(file, 'utf8').trim());

describe('process supervision', () => {
  it('propagates the exit code and reports success or errors', async () => {
    const { dir, tag } = setup();
    const ok = await runPayload(dir, ['/bin/sh', '-c', 'echo hello; exit 0'], { tag }).done;
    expect(ok).toMatchObject({ exitCode: 0, signal: null, killReason: null, minorStatus: 'Application Finished Successfully' });
    const failed = await runPayload(dir, ['/bin/sh', '-c', 'exit 42'], { tag }).done;
    expect(failed).toMatchObject({ exitCode: 42, minorStatus: 'Application Finished With Errors' });
    expect(readFileSync(path.join(dir, 'std.out'), 'utf8')).toBe('hello\n');
  });

  it('resolves a relative executable against the job directory', async () => {
    const { dir, tag } = setup();
    writeFileSync(path.join(dir, 'job.sh'), '#!/bin/sh\necho "args: $*"\nexit 7\n', { mode: 0o755 });
    const result = await runPayload(dir, ['job.sh', 'a b', 'c'], { tag }).done;
    expect(result.exitCode).toBe(7);
    expect(readFileSync(path.join(dir, 'std.out'), 'utf8')).toBe('args: a b c\n');
  });

  it('reports a missing executable as "Application not found"', async () => {
    const { dir, tag } = setup();
    const result = await runPayload(dir, ['./no-such-program'], { tag }).done;
    expect(result).toMatchObject({ exitCode: null, minorStatus: 'Application not found' });
  });

  it('leaves nothing behind when the payload double-forks a daemon into a new session', async () => {
    const { dir, tag } = setup();
    // fork → setsid → fork: the daemon is re-parented away from the payload and leaves its session.
    const script = "( setsid sh -c 'sleep 300 & echo $! > daemon.pid; wait' & ); while [ ! -s daemon.pid ]; do sleep 0.05; done; exit 3";
    const result = await runPayload(dir, ['/bin/sh', '-c', script], { tag }).done;
    expect(result.exitCode).toBe(3);
    const daemon = readPid(path.join(dir, 'daemon.pid'));
    expect(daemon).toBeGreaterThan(0);
    expect(isRunning(daemon)).toBe(false);
  });

  it('leaves nothing behind when a background child stays in the session', async () => {
    const { dir, tag } = setup();
    const result = await runPayload(dir, ['/bin/sh', '-c', 'sleep 300 & echo $! > bg.pid; exit 0'], { tag }).done;
    expect(result.exitCode).toBe(0);
    expect(isRunning(readPid(path.join(dir, 'bg.pid')))).toBe(false);
  });

  it("kill('server'): TERM first, KILL after the grace for a payload that ignores TERM", async () => {
    const { dir, tag } = setup();
    const script = "trap 'echo got-TERM >> signals.log' TERM; echo ready > ready; while :; do sleep 0.05; done";
    const handle = runPayload(dir, ['/bin/sh', '-c', script], { tag });
    await waitFor(() => existsSync(path.join(dir, 'ready')));
    handle.kill('server', 'Kill command from the server');
    handle.kill('stalled'); // idempotent: the first reason wins
    const result = await handle.done;
    expect(result).toMatchObject({ killReason: 'server', minorStatus: 'Received Kill signal', signal: 'SIGKILL', exitCode: null });
    expect(readFileSync(path.join(dir, 'signals.log'), 'utf8')).toContain('got-TERM');
  });

  it('ends a payload that keeps forking TERM-immune children while it is being killed', async () => {
    const { dir, tag } = setup();
    // Every child inherits the ignored TERM, so only the STOP-then-KILL rounds can end them.
    const script = "trap '' TERM; echo ready > ready; while :; do sleep 300 & sleep 0.02; done";
    const handle = runPayload(dir, ['/bin/sh', '-c', script], {
      tag,
      limits: { sampleIntervalMs: 100, killGraceMs: 300, stalled: null, loopingSeconds: null },
    });
    await waitFor(() => existsSync(path.join(dir, 'ready')));
    await waitFor(() => runningWithTag(tag).length > 3);
    handle.kill('server');
    const result = await handle.done;
    expect(result).toMatchObject({ killReason: 'server', signal: 'SIGKILL' });
  });

  it('a payload that exits on TERM ends with SIGTERM, before the grace is over', async () => {
    const { dir, tag } = setup();
    const handle = runPayload(dir, ['/bin/sh', '-c', 'echo ready > ready; exec sleep 300'], {
      tag,
      limits: { sampleIntervalMs: 100, killGraceMs: 60_000, stalled: null, loopingSeconds: null },
    });
    await waitFor(() => existsSync(path.join(dir, 'ready')));
    handle.kill('pilot-signal');
    const result = await handle.done;
    expect(result).toMatchObject({ killReason: 'pilot-signal', signal: 'SIGTERM' });
  });
});
