import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLoadAverage } from '../../probes/load-average.js';
import { environValues, parseProcIo, parseProcStat, parseSmapsRollup } from './proc-parsers.js';

// Captured on a Debian 12 / Linux 6.x host: tests/fixtures/proc-samples/.
const sample = (name: string) => readFileSync(new URL(`../../../tests/fixtures/proc-samples/${name}`, import.meta.url), 'latin1');

describe('parseProcStat', () => {
  it('reads a live process', () => {
    expect(parseProcStat(sample('stat-node.txt'))).toEqual({
      pid: 8335,
      comm: 'node',
      state: 'R',
      ppid: 8314,
      pgrp: 8314,
      session: 3450,
      utime: 0.01,
      stime: 0,
      cutime: 0,
      cstime: 0,
      startTicks: 46048,
      vsizeBytes: 766992384,
      rssPages: 10906,
      threads: 7,
    });
  });

  it('reads CPU of waited-for children', () => {
    const bash = parseProcStat(sample('stat-bash.txt'));
    expect(bash).toMatchObject({ pid: 3450, session: 3450, utime: 0.01, stime: 0.01, cutime: 0.27, cstime: 0.05 });
  });

  it('survives a command name with spaces and parentheses', () => {
    expect(parseProcStat(sample('stat-weird-comm.txt'))).toMatchObject({ pid: 8317, comm: 'we(ir d) x', state: 'S', ppid: 8314 });
  });

  it('reads a zombie (its session survives, its memory does not)', () => {
    expect(parseProcStat(sample('stat-zombie.txt'))).toMatchObject({ pid: 8441, state: 'Z', ppid: 8439, session: 3450, vsizeBytes: 0 });
  });

  it.each([
    '',
    '123',
    '12 (x) R 1 2',
    'abc (x) R 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0',
    '12 (x) R 1 1 1 0 -1 0 0 0 0 0 x 0 0 0 20 0 1 0 5 0 0 0',
  ])('rejects malformed %j', (text) => expect(parseProcStat(text)).toBeNull());
});

describe('parseProcIo', () => {
  it('reads the four byte counters prmon reports', () => {
    const io = parseProcIo(sample('io-cat.txt'));
    expect(io).not.toBeNull();
    expect(Object.keys(io ?? {})).toEqual(['rchar', 'wchar', 'readBytes', 'writeBytes']);
    expect(io?.rchar).toBeGreaterThan(0);
  });
  it.each(['', 'rchar: 1\nwchar: 2\n', 'rchar: x\nwchar: 2\nread_bytes: 3\nwrite_bytes: 4'])('rejects %j', (text) =>
    expect(parseProcIo(text)).toBeNull(),
  );
});

describe('parseSmapsRollup', () => {
  it('reads Rss, Pss and SwapPss in KiB', () => {
    expect(parseSmapsRollup(sample('smaps_rollup-sleep.txt'))).toEqual({ rssKiB: 1792, pssKiB: 240, swapPssKiB: 0, swapKiB: 0 });
  });
  it('rejects a file without Pss', () => {
    expect(parseSmapsRollup('Rss: 12 kB\n')).toBeNull();
  });
});

describe('parseLoadAverage', () => {
  it('takes the 1-minute value', () => expect(parseLoadAverage(sample('loadavg.txt'))?.load1).toBe(0.1));
  it.each(['', 'x 1 2', '-1 0 0'])('rejects %j', (text) => expect(parseLoadAverage(text)).toBeNull());
});

describe('environValues', () => {
  const block = Buffer.from('A=1\0MARK=abc\0B=2\0');
  it('finds an entry anywhere, the last one unterminated too', () => {
    expect(environValues(block, 'MARK')).toEqual(['abc']);
    expect(environValues(Buffer.from('MARK=abc'), 'MARK')).toEqual(['abc']);
    expect(environValues(Buffer.from('MARK='), 'MARK')).toEqual(['']);
  });
  it('does not take a name that only ends like it', () => {
    expect(environValues(block, 'ARK')).toEqual([]);
    expect(environValues(Buffer.alloc(0), 'MARK')).toEqual([]);
  });
  it('returns every value of a name given twice', () => {
    expect(environValues(Buffer.from('XMARK=abc\0MARK=abcd\0MARK=abc\0'), 'MARK')).toEqual(['abcd', 'abc']);
    expect(environValues(Buffer.from('XMARK=abc\0Y=MARK=abc\0'), 'MARK')).toEqual([]);
  });
});
