import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findExecutable } from './find-executable.js';

describe('findExecutable', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'find-executable-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the first executable regular file on PATH, then in the extra directories', () => {
    for (const sub of ['a', 'b', 'c']) mkdirSync(path.join(dir, sub));
    writeFileSync(path.join(dir, 'a', 'tool'), 'not executable');
    mkdirSync(path.join(dir, 'b', 'tool')); // a directory by that name
    writeFileSync(path.join(dir, 'c', 'tool'), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'c', 'tool'), 0o755);
    const env = { PATH: [path.join(dir, 'a'), path.join(dir, 'b'), path.join(dir, 'c')].join(':') };
    expect(findExecutable('tool', env)).toBe(path.join(dir, 'c', 'tool'));
    expect(findExecutable('tool', { PATH: path.join(dir, 'a') }, [path.join(dir, 'c')])).toBe(path.join(dir, 'c', 'tool'));
    expect(findExecutable('missing', env)).toBeNull();
  });

  it('never searches relative PATH entries (they resolve against the current directory)', () => {
    writeFileSync(path.join(dir, 'tool'), '#!/bin/sh\n');
    chmodSync(path.join(dir, 'tool'), 0o755);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      expect(findExecutable('tool', { PATH: '.:' })).toBeNull();
    } finally {
      process.chdir(cwd);
    }
  });
});
