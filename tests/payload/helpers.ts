import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../src/core/logger.js';
import { startPayload, type PayloadHandle, type PayloadOptions } from '../../src/payload/runner/index.js';
import { noSecretFiles } from '../../src/payload/runner/secret-files.js';
import type { WatchdogLimits } from '../../src/payload/watchdog/limits.js';

/** The Node that runs the tests: a payload interpreter present everywhere the suite runs. */
export const NODE = process.execPath;

/** Every watchdog check off unless a test turns it on, sampling fast, short grace. */
export const QUIET_LIMITS: WatchdogLimits = {
  sampleIntervalMs: 100,
  wallClockSeconds: null,
  cpuSeconds: null,
  memoryMB: null,
  minDiskMB: null,
  maxStdoutBytes: null,
  stalled: null,
  loopingSeconds: null,
  killGraceMs: 500,
};

export function makeJobDir(prefix = 'payload-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A tag in the payload's environment, independent of the supervisor's own marker. */
export function testTag(): { name: string; value: string } {
  return { name: 'PAYLOAD_TEST_TAG', value: `t${process.pid}-${Math.random().toString(36).slice(2)}` };
}

export function runPayload(
  jobDir: string,
  argv: string[],
  extra: Partial<PayloadOptions> & { tag?: { name: string; value: string } } = {},
): PayloadHandle {
  const { tag, ...rest } = extra;
  return startPayload({
    jobId: 1,
    argv,
    cwd: jobDir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(tag ? { [tag.name]: tag.value } : {}) },
    stdoutFile: 'std.out',
    stderrFile: 'std.err',
    runner: { kind: 'direct' },
    limits: QUIET_LIMITS,
    logger: silentLogger(),
    ...rest,
    secretFiles: rest.secretFiles ?? noSecretFiles(),
  });
}

/**
 * Processes still RUNNING (not zombies) that carry the tag in their environment: found by reading
 * /proc directly, without the supervisor's code, so the check is independent of what it tests.
 */
export function runningWithTag(tag: { name: string; value: string }): string[] {
  const found: string[] = [];
  const needle = `${tag.name}=${tag.value}`;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (!environ.includes(needle)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && state !== 'X') found.push(`${name} ${stat.slice(stat.indexOf('('), stat.lastIndexOf(')') + 1)} ${state}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** State letter of a pid, or null when /proc has no such process. */
export function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return null;
  }
}

export function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== null && state !== 'Z' && state !== 'X';
}

/** Polls `condition` every 20 ms; throws after `timeoutMs` so a broken payload fails the test instead of hanging it. */
export async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
