import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProcStat } from '../process/proc-parsers.js';
import { TreeUsageTracker } from './tree-usage.js';

// An empty fake /proc: no smaps_rollup, so memory falls back to RSS pages.
const procRoot = mkdtempSync(path.join(tmpdir(), 'fake-proc-'));
afterAll(() => rmSync(procRoot, { recursive: true, force: true }));

const p = (
  pid: number,
  ppid: number,
  cpu: Partial<Pick<ProcStat, 'utime' | 'stime' | 'cutime' | 'cstime' | 'state' | 'rssPages' | 'vsizeBytes'>> = {},
): ProcStat => ({
  pid,
  ppid,
  comm: 'x',
  state: 'S',
  pgrp: 1,
  session: 1,
  utime: 0,
  stime: 0,
  cutime: 0,
  cstime: 0,
  startTicks: pid,
  vsizeBytes: 0,
  rssPages: 0,
  threads: 1,
  ...cpu,
});

describe('TreeUsageTracker', () => {
  it('sums own and waited-for children CPU over the tree', () => {
    const tracker = new TreeUsageTracker(procRoot);
    const usage = tracker.update([p(10, 1, { utime: 1, stime: 0.5, cutime: 2, cstime: 0.5 }), p(11, 10, { utime: 3 })]);
    expect(usage.cpuSeconds).toBe(7);
  });

  it('a child reaped by a parent in the tree moves into its cutime: counted once', () => {
    const tracker = new TreeUsageTracker(procRoot);
    tracker.update([p(10, 1, { utime: 1 }), p(11, 10, { utime: 3 })]);
    expect(tracker.update([p(10, 1, { utime: 1, cutime: 3 })]).cpuSeconds).toBe(4);
  });

  it('an orphan reaped outside the tree keeps its last CPU', () => {
    const tracker = new TreeUsageTracker(procRoot);
    tracker.update([p(10, 1, { utime: 1 }), p(20, 1, { utime: 5 })]);
    expect(tracker.update([p(10, 1, { utime: 1.5 })]).cpuSeconds).toBe(6.5);
  });

  it('never decreases', () => {
    const tracker = new TreeUsageTracker(procRoot);
    tracker.update([p(10, 1, { utime: 4 })]);
    expect(tracker.update([p(10, 1, { utime: 3 })]).cpuSeconds).toBe(4);
  });

  it('memory falls back to RSS pages, skips zombies, and keeps peaks', () => {
    const tracker = new TreeUsageTracker(procRoot);
    const usage = tracker.update([p(10, 1, { rssPages: 256, vsizeBytes: 2 * 1024 * 1024 }), p(11, 10, { state: 'Z', rssPages: 999 })]);
    expect(usage).toMatchObject({ rssMB: 1, pssMB: 1, vsizeMB: 2, processCount: 1 });
    tracker.update([p(10, 1, { rssPages: 0 })]);
    expect(tracker.maxRssMB).toBe(1);
  });
});
