import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findContainerRuntime, readContainer } from './container.js';
import { openNodeSource, type NodeSource } from './source.js';
import { nodeCapture, ownCapture } from './test-fixtures.js';
import { Warnings } from './warnings.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'fake-apptainer-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fake(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, `#!/bin/sh\n${body}\n`);
  await chmod(file, 0o755);
  return file;
}

describe('container runtime probe', () => {
  it('finds apptainer on PATH and reads its version', async () => {
    const bin = path.join(dir, 'bin');
    await rm(bin, { recursive: true, force: true });
    await mkdir(bin);
    const apptainer = path.join(bin, 'apptainer');
    await writeFile(apptainer, '#!/bin/sh\n[ "$1" = --version ] && echo "apptainer version 1.3.4"\n');
    await chmod(apptainer, 0o755);
    const source = await openNodeSource('/');
    expect(await findContainerRuntime(source, { PATH: `/nonexistent:${bin}` })).toBe(apptainer);
    const info = await readContainer(source, { PATH: bin }, {}, new Warnings());
    expect(info).toMatchObject({ runtime: 'apptainer', path: apptainer, version: '1.3.4' });
  });
  it('a hanging --version costs the timeout and a warning', async () => {
    const hang = await fake('apptainer', 'exec sleep 30');
    const warnings = new Warnings();
    const info = await readContainer(await openNodeSource(ownCapture('cgroup-v2-slurm')), {}, { path: hang, timeoutMs: 300 }, warnings);
    expect(info).toMatchObject({ runtime: 'apptainer', version: null });
    expect(warnings.list.map((warning) => warning.message)).toEqual([`${hang} --version did not answer within 300 ms`]);
  });
  it('a capture names the runtime from which.txt or its tree, without running it', async () => {
    expect(await findContainerRuntime(await openNodeSource(nodeCapture('h100-x86_64')), {})).toBeNull();
    const info = await readContainer(await openNodeSource(ownCapture('cgroup-v2-slurm')), { PATH: '/usr/bin' }, {}, new Warnings());
    expect(info).toEqual({ runtime: null, path: null, version: null, userNamespaces: true, insideContainer: false });
  });
  it('a PATH directory that never answers (a stuck mount) costs the deadline and a warning, and the others still count', async () => {
    // A captured tree whose /stuck/bin never lists: what a hung NFS or automount looks like.
    const never = new Promise<null>(() => undefined);
    const source: NodeSource = {
      root: '/capture',
      layout: 'tree',
      readText: async () => null,
      readBytes: async () => null,
      captured: async () => null,
      listDir: async (dir) => (dir === '/stuck/bin' ? never : dir === '/opt/bin' ? ['singularity'] : null),
    };
    const warnings = new Warnings();
    const started = Date.now();
    const found = await findContainerRuntime(source, { PATH: '/stuck/bin:/usr/bin:/opt/bin' }, { deadlineMs: 200, warnings });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(found).toBe('/opt/bin/singularity');
    expect(warnings.list.map((warning) => warning.message)).toEqual([
      '/stuck/bin did not answer within 200 ms (stuck mount?); apptainer was not looked for there',
    ]);
  });
});
