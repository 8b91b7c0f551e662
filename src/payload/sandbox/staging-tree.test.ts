import { describe, expect, it } from 'vitest';
import { StagingTree } from './staging-tree.js';

describe('symlink resolution against the extracted tree', () => {
  it('allows links that go up and come back down inside', () => {
    const tree = new StagingTree();
    tree.set(['lib'], { kind: 'directory' });
    expect(tree.symlinkEscapes(['bin', 'tool'], '../lib/x.so')).toBe(false);
    expect(tree.symlinkEscapes(['self'], '.')).toBe(false);
  });

  it('catches escapes lexically and through other links', () => {
    const tree = new StagingTree();
    expect(tree.symlinkEscapes(['a'], '/tmp')).toBe(true);
    expect(tree.symlinkEscapes(['d', 'a'], '../..')).toBe(true);
    tree.set(['dot'], { kind: 'symlink', target: '.' });
    expect(tree.symlinkEscapes(['x'], 'dot/..')).toBe(true);
    tree.set(['abs'], { kind: 'symlink', target: '/etc' });
    expect(tree.symlinkEscapes(['y'], 'abs/passwd')).toBe(true);
  });

  it('treats a symlink loop as an escape rather than spinning', () => {
    const tree = new StagingTree();
    tree.set(['p'], { kind: 'symlink', target: 'q' });
    tree.set(['q'], { kind: 'symlink', target: 'p' });
    expect(tree.symlinkEscapes(['r'], 'p')).toBe(true);
  });

  it('re-checks every link against the final tree', () => {
    const tree = new StagingTree();
    tree.set(['x'], { kind: 'symlink', target: 'y/..' });
    expect(() => tree.assertNoSymlinkEscapes()).not.toThrow();
    tree.set(['y'], { kind: 'symlink', target: '.' });
    expect(() => tree.assertNoSymlinkEscapes()).toThrow(/resolves outside/);
  });
});
