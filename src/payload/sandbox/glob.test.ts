import { describe, expect, it } from 'vitest';
import { hasMagic, matchComponent } from './glob.js';

describe('OutputSandbox pattern components (Python fnmatch rules)', () => {
  const matches = matchComponent;

  it('supports * ? [set] [!set] and treats other characters literally', () => {
    expect(matches('*.log', 'job.log')).toBe(true);
    expect(matches('*.log', 'job.log.gz')).toBe(false);
    expect(matches('std.???', 'std.out')).toBe(true);
    expect(matches('file[12].txt', 'file2.txt')).toBe(true);
    expect(matches('file[!12].txt', 'file2.txt')).toBe(false);
    expect(matches('file[!12].txt', 'file3.txt')).toBe(true);
    expect(matches('a+b(c).txt', 'a+b(c).txt')).toBe(true);
    expect(matches('a.txt', 'abtxt')).toBe(false);
    expect(matches('[abc', '[abc')).toBe(true);
    expect(matches('run[0-9][0-9].log', 'run42.log')).toBe(true);
    expect(matches('run[0-9].log', 'runx.log')).toBe(false);
    expect(matches('*', '')).toBe(true);
    expect(matches('a*b*c', 'aXbYbZc')).toBe(true);
    expect(matches('a*b*c', 'aXbYbZ')).toBe(false);
    expect(matches('**.txt', 'x.txt')).toBe(true);
  });

  it('stays linear on patterns that make backtracking regexps explode', () => {
    // A RegExp for this pattern takes minutes on this name; the matcher must just say no.
    expect(matches('*a*a*a*a*a*a*a*a*b', 'a'.repeat(255))).toBe(false);
  });

  it('knows which components need a directory listing', () => {
    expect(hasMagic('std.out')).toBe(false);
    expect(hasMagic('*.log')).toBe(true);
    expect(hasMagic('f[0-9]')).toBe(true);
  });
});
