import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLoadAverage, readLoadAverage } from '../probes/load-average.js';
import { loadVerdict, waitForLoad } from './load-gate.js';

describe('the load average', () => {
  it('reads /proc/loadavg under a root, and refuses what is not three numbers', () => {
    const root = mkdtempSync(path.join(tmpdir(), 'loadavg-'));
    mkdirSync(path.join(root, 'proc'));
    writeFileSync(path.join(root, 'proc/loadavg'), '9.51 4.20 1.05 3/812 40213\n');
    expect(readLoadAverage(root)).toEqual({ load1: 9.51, load5: 4.2, load15: 1.05 });
    expect(parseLoadAverage('nan 1 2')).toBeNull();
    expect(parseLoadAverage('')).toBeNull();
    expect(readLoadAverage(path.join(root, 'missing'))).toBeNull();
  });

  it('reads this node live', () => {
    expect(readLoadAverage()?.load1).toBeGreaterThanOrEqual(0);
  });
});

describe('loadVerdict', () => {
  it('holds the match back above processors × factor, not at it', () => {
    expect(loadVerdict({ load1: 9.6, load5: 0, load15: 0 }, 8, 1.2)).toEqual({ wait: false });
    const verdict = loadVerdict({ load1: 9.7, load5: 0, load15: 0 }, 8, 1.2);
    expect(verdict).toEqual({ wait: true, reason: '1-minute load 9.70 above 9.6 (8 processors × 1.2)' });
  });

  it('is off with factor 0, and when the load is unknown', () => {
    expect(loadVerdict({ load1: 100, load5: 0, load15: 0 }, 2, 0).wait).toBe(false);
    expect(loadVerdict(null, 2, 1.2).wait).toBe(false);
  });
});

describe('waitForLoad', () => {
  const rules = { factor: 1.2, maxWaitSeconds: 600, recheckSeconds: 60 };

  function clock() {
    let t = 0;
    return { now: () => t, sleep: async (ms: number) => void (t += ms) };
  }

  it('waits until the load falls, re-reading it every recheck', async () => {
    const loads = [5, 4, 2];
    const c = clock();
    const waited = await waitForLoad({
      rules,
      processors: 2,
      readLoad: () => ({ load1: loads.shift() ?? 0, load5: 0, load15: 0 }),
      ...c,
      shutdown: new AbortController().signal,
    });
    expect(waited).toEqual({ waitedMs: 120_000, reason: '1-minute load 5.00 above 2.4 (2 processors × 1.2)' });
  });

  it('gives up waiting at the bound and lets the match go ahead', async () => {
    const c = clock();
    const waited = await waitForLoad({
      rules,
      processors: 2,
      readLoad: () => ({ load1: 50, load5: 0, load15: 0 }),
      ...c,
      shutdown: new AbortController().signal,
    });
    expect(waited.waitedMs).toBe(600_000);
  });

  it('ends the wait at once on a stop signal', async () => {
    const stop = new AbortController();
    const c = clock();
    const waited = await waitForLoad({
      rules,
      processors: 2,
      readLoad: () => ({ load1: 50, load5: 0, load15: 0 }),
      now: c.now,
      shutdown: stop.signal,
      sleep: async (ms) => {
        void c.sleep(ms);
        stop.abort();
      },
    });
    expect(waited.waitedMs).toBe(60_000);
  });
});
