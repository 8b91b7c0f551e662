import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/logger.js';
import { watchForWindDown, windDownReason } from './wind-down-watch.js';

const dir = mkdtempSync(path.join(tmpdir(), 'wind-down-watch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('windDownReason', () => {
  it('a drain file, or the slot ending within the lead time; nothing otherwise', () => {
    expect(windDownReason('/var/lib/dirac_drain', 9999, 300)).toBe('drain file /var/lib/dirac_drain exists');
    expect(windDownReason(null, 299.6, 300)).toBe('300 s left in the slot');
    expect(windDownReason(null, 301, 300)).toBeNull();
    expect(windDownReason(null, null, 300)).toBeNull();
  });
});

describe('watchForWindDown', () => {
  it('tells every running payload once the drain file appears', async () => {
    const drain = path.join(dir, 'drain');
    const told: string[] = [];
    const payloads = [1, 2].map((n) => ({ windDown: (reason: string) => (told.push(`${n}: ${reason}`), true) }));
    const stop = watchForWindDown({
      drainFile: drain,
      leadSeconds: 0,
      wallSecondsLeft: () => null,
      running: () => payloads,
      logger: silentLogger(),
      intervalMs: 20,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(told).toEqual([]);
    writeFileSync(drain, '');
    for (let i = 0; i < 100 && told.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    stop();
    expect(told.slice(0, 2)).toEqual([`1: drain file ${drain} exists`, `2: drain file ${drain} exists`]);
  });
});
