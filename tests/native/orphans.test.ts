import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { descendantsOf, parseProcStat, reapOrphans, type ProcStat } from '../../src/native/orphans.js';

// Captured from a Debian 12 node: a command name holding ') ' and spaces, init, a zombie.
const samples = readFileSync(path.join(__dirname, 'fixtures/proc-stat-samples.txt'), 'utf8').trim().split('\n');

describe('parseProcStat', () => {
  it('counts fields from the last parenthesis, so odd command names parse', () => {
    expect(parseProcStat(samples[0]!)).toEqual({ pid: 9989, state: 'S', ppid: 9986, startTime: 54381 });
  });
  it('parses init and a zombie', () => {
    expect(parseProcStat(samples[1]!)).toEqual({ pid: 1, state: 'S', ppid: 0, startTime: 22 });
    expect(parseProcStat(samples[2]!)).toEqual({ pid: 10073, state: 'Z', ppid: 10071, startTime: 54833 });
  });
  it('rejects malformed lines', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('12 (x) S')).toBeNull();
    expect(parseProcStat('abc (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0')).toBeNull();
  });
  it('parses this process live', () => {
    const self = parseProcStat(readFileSync('/proc/self/stat', 'utf8'));
    expect(self?.pid).toBe(process.pid);
    expect(self?.ppid).toBe(process.ppid);
  });
});

const proc = (pid: number, ppid: number, state = 'S', startTime = pid * 10): ProcStat => ({ pid, ppid, state, startTime });

describe('descendantsOf', () => {
  it('walks the whole tree below the root and nothing else', () => {
    const table = [proc(1, 0), proc(10, 1), proc(11, 10), proc(12, 11), proc(13, 10), proc(20, 1)];
    expect(descendantsOf(10, table).map((p) => p.pid).sort()).toEqual([11, 12, 13]);
    expect(descendantsOf(99, table)).toEqual([]);
  });
});

describe('reapOrphans', () => {
  it('passes to reap() only our zombie children that the predicate vouches for', () => {
    const asked: number[][] = [];
    const addon = {
      reap: (pids: number[]) => {
        asked.push(pids);
        return pids.map((pid) => ({ pid, exitCode: 0, signal: null }));
      },
    };
    const table = [
      proc(100, 50, 'Z'), // orphan zombie we recorded: reaped
      proc(101, 50, 'Z'), // zombie Node spawned itself: libuv's, left alone
      proc(102, 50, 'S'), // orphan still running
      proc(103, 60, 'Z'), // someone else's zombie
    ];
    const recorded = new Set(['100:1000', '102:1020', '103:1030']);
    const reaped = reapOrphans(addon, (z) => recorded.has(`${z.pid}:${z.startTime}`), { selfPid: 50, processes: table });
    expect(asked).toEqual([[100]]);
    expect(reaped).toEqual([{ pid: 100, exitCode: 0, signal: null }]);
  });
  it('does nothing without the addon or its reap()', () => {
    expect(reapOrphans(null, () => true, { selfPid: 1, processes: [proc(5, 1, 'Z')] })).toEqual([]);
    expect(reapOrphans({}, () => true, { selfPid: 1, processes: [proc(5, 1, 'Z')] })).toEqual([]);
  });
});
