import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readElfSection } from './elf.js';
import { openFileNow } from './fs-async.js';
import { glibcFromLibcBytes } from './glibc.js';
import { ownCapture } from './test-fixtures.js';

const LIBCS = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib64/libc.so.6', '/lib/aarch64-linux-gnu/libc.so.6'];
const libc = LIBCS.find((file) => existsSync(file));

describe('readElfSection', () => {
  it.skipIf(!libc)('finds the glibc banner in .rodata of this machine’s libc, agreeing with the runtime', async () => {
    const rodata = await readElfSection(libc as string, '.rodata');
    expect(rodata).not.toBeNull();
    const runtime = (process.report.getReport() as { header: { glibcVersionRuntime?: string } }).header.glibcVersionRuntime;
    expect(glibcFromLibcBytes(rodata as Buffer)).toBe(runtime);
  });
  it.skipIf(!libc)('reads the same bytes through the synchronous opener (used for the libc this process has mapped)', async () => {
    const now = await readElfSection(libc as string, '.rodata', undefined, openFileNow);
    expect(now).not.toBeNull();
    expect(now?.equals((await readElfSection(libc as string, '.rodata')) as Buffer)).toBe(true);
    expect(await readElfSection('/nonexistent/libc.so.6', '.rodata', undefined, openFileNow)).toBeNull();
  });
  it('gives null for files that are not ELF, truncated ELF and missing files', async () => {
    expect(await readElfSection(path.join(ownCapture('cgroup-v2-slurm'), 'env.txt'), '.rodata')).toBeNull();
    expect(
      await readElfSection(
        path.join(ownCapture('aarch64-neoverse-v1-htcondor'), 'usr', 'lib', 'aarch64-linux-gnu', 'libc.so.6'),
        '.rodata',
      ),
    ).toBeNull();
    expect(await readElfSection('/nonexistent/libc.so.6', '.rodata')).toBeNull();
  });
});
