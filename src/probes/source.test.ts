import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeNode } from './index.js';
import { readElfSection } from './elf.js';
import { openFileNow } from './fs-async.js';
import { openNodeSource } from './source.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'sysroot-'));
  await mkdir(path.join(root, 'proc'), { recursive: true });
  await mkdir(path.join(root, 'etc'), { recursive: true });
  await mkdir(path.join(root, 'lib64'), { recursive: true });
  // A FIFO nobody writes to: reading it naively would block forever.
  execFileSync('mkfifo', [path.join(root, 'proc', 'cpuinfo')]);
  execFileSync('mkfifo', [path.join(root, 'lib64', 'libc.so.6')]);
  await writeFile(path.join(root, 'etc', 'os-release'), 'ID=debian\nVERSION_ID="12"\n'.repeat(10));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('tree source', () => {
  it('refuses FIFOs instead of hanging on them', async () => {
    const source = await openNodeSource(root);
    expect(source.layout).toBe('tree');
    expect(await source.readText('/proc/cpuinfo')).toBeNull();
    expect(await source.readBytes('/lib64/libc.so.6', 1024)).toBeNull();
    const probe = await probeNode({ root });
    expect(probe.os.id).toBe('debian');
    expect(probe.warnings.some((warning) => warning.message === '/proc/cpuinfo is missing or unreadable')).toBe(true);
  });
  it('the synchronous opener refuses FIFOs too (opened non-blocking, then checked to be a file)', async () => {
    expect(await readElfSection(path.join(root, 'lib64', 'libc.so.6'), '.rodata', undefined, openFileNow)).toBeNull();
  });
  it('caps what it reads', async () => {
    const source = await openNodeSource(root);
    expect((await source.readBytes('/etc/os-release', 10))?.toString()).toBe('ID=debian\n');
  });
});
