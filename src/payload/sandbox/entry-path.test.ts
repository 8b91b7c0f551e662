import { describe, expect, it } from 'vitest';
import { entryComponents, hardlinkTargetComponents } from './entry-path.js';
import { SandboxError } from './errors.js';

function reason(fn: () => unknown): string | null {
  try {
    fn();
    return null;
  } catch (error) {
    return (error as SandboxError).reason;
  }
}

describe('archive entry names', () => {
  it('normalises . and empty components, and the root to []', () => {
    expect(entryComponents('./a//b/./c/')).toEqual(['a', 'b', 'c']);
    expect(entryComponents('./')).toEqual([]);
  });

  it('refuses absolute names, any "..", NUL and over-long names', () => {
    expect(reason(() => entryComponents('/etc/passwd'))).toBe('absolute-path');
    expect(reason(() => entryComponents('a/..'))).toBe('path-traversal');
    expect(reason(() => entryComponents('..foo/bar'))).toBeNull();
    expect(reason(() => entryComponents('a\0b'))).toBe('bad-path');
    expect(reason(() => entryComponents('x'.repeat(256)))).toBe('bad-path');
    expect(reason(() => entryComponents('a/'.repeat(2049)))).toBe('bad-path');
  });

  it('reports bad hardlink targets as hardlink escapes, naming the link', () => {
    expect(reason(() => hardlinkTargetComponents('/etc/shadow', 'x'))).toBe('hardlink-escape');
    expect(reason(() => hardlinkTargetComponents('../x', 'x'))).toBe('hardlink-escape');
    expect(reason(() => hardlinkTargetComponents('./', 'x'))).toBe('hardlink-escape');
    expect(hardlinkTargetComponents('./lib/a.so', 'x')).toEqual(['lib', 'a.so']);
  });
});
