import { describe, expect, it } from 'vitest';
import { componentRegExp, hasMagic } from './glob.js';

describe('OutputSandbox pattern components (Python fnmatch rules)', () => {
  const matches = (pattern: string, name: string) => componentRegExp(pattern).test(name);

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
  });

  it('knows which components need a directory listing', () => {
    expect(hasMagic('std.out')).toBe(false);
    expect(hasMagic('*.log')).toBe(true);
    expect(hasMagic('f[0-9]')).toBe(true);
  });
});
