import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import type { NativeAddon } from '../../native/types.js';
import type { ProcStat } from './proc-parsers.js';
import { ensureSubreaper, reapOrphanZombies, resetSubreaperStateForTests } from './subreaper.js';

// Fake addons: these tests pin the decision logic; tests/payload/subreaper.test.ts runs the real prctl.
const addon = (overrides: Partial<NativeAddon>): NativeAddon => ({
  setChildSubreaper: () => true,
  childrenRusage: () => ({ userMicros: 0, systemMicros: 0, maxRssKiB: 0 }),
  ...overrides,
});
const z = (pid: number, ppid: number, state = 'Z'): ProcStat => ({
  pid,
  ppid,
  state,
  comm: 'x',
  pgrp: 1,
  session: 1,
  utime: 0,
  stime: 0,
  cutime: 0,
  cstime: 0,
  startTicks: 1,
  vsizeBytes: 0,
  rssPages: 0,
  threads: 1,
});

afterEach(() => resetSubreaperStateForTests());

describe('ensureSubreaper', () => {
  it('stays a normal process without the addon', () => {
    expect(ensureSubreaper(null, silentLogger())).toEqual({ active: false, reason: 'native addon not loaded' });
  });

  it('refuses to become a subreaper it could not reap for', () => {
    const set = vi.fn(() => true);
    expect(ensureSubreaper(addon({ setChildSubreaper: set }), silentLogger()).active).toBe(false);
    expect(set).not.toHaveBeenCalled();
  });

  it('reports a refused or throwing prctl', () => {
    expect(ensureSubreaper(addon({ setChildSubreaper: () => false, reap: () => [] }), silentLogger()).reason).toContain('refused');
    resetSubreaperStateForTests();
    const throwing = addon({
      setChildSubreaper: () => {
        throw new Error('EPERM');
      },
      reap: () => [],
    });
    expect(ensureSubreaper(throwing, silentLogger()).active).toBe(false);
  });

  it('makes the prctl once per process', () => {
    const set = vi.fn(() => true);
    const native = addon({ setChildSubreaper: set, reap: () => [] });
    ensureSubreaper(native, silentLogger());
    ensureSubreaper(native, silentLogger());
    expect(set).toHaveBeenCalledTimes(1);
  });
});

describe('reapOrphanZombies', () => {
  it('reaps only zombies re-parented to us, never the payload root Node waits for', () => {
    const reap = vi.fn((pids: number[]) => pids.map((pid) => ({ pid, exitCode: 0, signal: null })));
    ensureSubreaper(addon({ reap }), silentLogger());
    const count = reapOrphanZombies([z(10, 99), z(11, 99), z(12, 1), z(13, 99, 'S')], 10, 99);
    expect(count).toBe(1);
    expect(reap).toHaveBeenCalledWith([11]);
  });

  it('does nothing when not a subreaper', () => {
    expect(reapOrphanZombies([z(11, 99)], 10, 99)).toBe(0);
  });
});
