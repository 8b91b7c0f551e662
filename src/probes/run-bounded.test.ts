import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBounded } from './run-bounded.js';

const dir = mkdtempSync(path.join(tmpdir(), 'run-bounded-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function script(name: string, body: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('runBounded', () => {
  it('returns both streams and the exit status', async () => {
    const run = await runBounded(script('ok', 'echo out; echo err >&2; exit 3'), [], { timeoutMs: 5000 });
    expect(run).toEqual({ exitCode: 3, signal: null, stdout: 'out\n', stderr: 'err\n', timedOut: false, startError: null });
  });

  it('passes arguments without a shell', async () => {
    const run = await runBounded('/bin/echo', ['a b', '$HOME', ';ls'], { timeoutMs: 5000 });
    expect(run.stdout).toBe('a b $HOME ;ls\n');
  });

  it('kills a binary that hangs, and says so', async () => {
    const run = await runBounded(script('hang', 'exec sleep 30'), [], { timeoutMs: 200 });
    expect(run.timedOut).toBe(true);
    expect(run.signal).toBe('SIGKILL');
    expect(run.exitCode).toBeNull();
  });

  it('names why a binary could not start', async () => {
    expect((await runBounded(path.join(dir, 'missing'), [], { timeoutMs: 5000 })).startError).toBe('ENOENT');
    const notExecutable = path.join(dir, 'plain');
    writeFileSync(notExecutable, 'x');
    expect((await runBounded(notExecutable, [], { timeoutMs: 5000 })).startError).toBe('EACCES');
  });

  it('keeps at most maxBytes of a runaway output', async () => {
    const run = await runBounded(script('flood', 'head -c 100000 /dev/zero | tr "\\0" x'), [], { timeoutMs: 5000, maxBytes: 1000 });
    expect(run.stdout).toHaveLength(1000);
    expect(run.exitCode).toBe(0);
  });
});
