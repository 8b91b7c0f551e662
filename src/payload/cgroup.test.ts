import { cpSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJobCgroup, pilotMemoryCgroup } from './cgroup.js';
import { silentLogger } from '../core/logger.js';
import { tempDir } from '../../tests/support/temp-dir.js';

function roots(procSelfCgroup: string, mountRoot = tempDir('cgroup-root-')) {
  const file = path.join(tempDir(), 'cgroup');
  writeFileSync(file, procSelfCgroup);
  return { procSelfCgroup: file, mountRoot };
}

describe('pilotMemoryCgroup', () => {
  it('finds the v1 memory hierarchy, else the unified one', () => {
    const v1 = roots('4:memory:/batch/job_12\n0::/\n');
    expect(pilotMemoryCgroup(v1)).toEqual({ dir: path.join(v1.mountRoot, 'memory/batch/job_12'), version: 1 });
    const v2 = roots('0::/system.slice/pilot.scope\n');
    writeFileSync(path.join(v2.mountRoot, 'cgroup.controllers'), 'cpu memory pids\n');
    expect(pilotMemoryCgroup(v2)).toEqual({ dir: path.join(v2.mountRoot, 'system.slice/pilot.scope'), version: 2 });
    expect(pilotMemoryCgroup(roots('garbage'))).toBeNull();
    expect(pilotMemoryCgroup({ procSelfCgroup: '/nonexistent', mountRoot: '/' })).toBeNull();
  });
});

describe('createJobCgroup', () => {
  it('v2: only where the memory controller is delegated; writes memory.max', async () => {
    const r = roots('0::/pilot\n');
    writeFileSync(path.join(r.mountRoot, 'cgroup.controllers'), 'memory\n');
    mkdirSync(path.join(r.mountRoot, 'pilot'));
    writeFileSync(path.join(r.mountRoot, 'pilot', 'cgroup.subtree_control'), 'cpu\n');
    expect(await createJobCgroup(7, 100, silentLogger(), r)).toBeNull();
    writeFileSync(path.join(r.mountRoot, 'pilot', 'cgroup.subtree_control'), 'cpu memory\n');
    const cgroup = (await createJobCgroup(7, 100, silentLogger(), r))!;
    expect(cgroup.dir).toBe(path.join(r.mountRoot, 'pilot', `dirac-pilot${process.pid}-job7`));
    expect(readFileSync(path.join(cgroup.dir, 'memory.max'), 'utf8')).toBe(String(100 * 1024 * 1024));
    writeFileSync(path.join(cgroup.dir, 'memory.events'), 'low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n');
    expect(await cgroup.oomKilled()).toBe(true);
  });

  it('returns null where the cgroup cannot be made (not delegated)', async () => {
    expect(await createJobCgroup(7, 100, silentLogger(), roots('4:memory:/does/not/exist\n'))).toBeNull();
  });

  it('on this machine: a real job cgroup with the limit, removed after, when the node delegates', async (ctx) => {
    const cgroup = await createJobCgroup(process.pid, 64, silentLogger());
    if (!cgroup) {
      console.warn('[cgroup] skipped: this node does not delegate a memory cgroup to the pilot');
      ctx.skip();
      return;
    }
    const limitFile = path.join(cgroup.dir, cgroup.version === 2 ? 'memory.max' : 'memory.limit_in_bytes');
    expect(Number(readFileSync(limitFile, 'utf8'))).toBe(64 * 1024 * 1024);
    expect(await cgroup.oomKilled()).toBe(false);
    await cgroup.remove();
    expect(existsSync(cgroup.dir)).toBe(false);
  });
});

describe('createJobCgroup on a captured cgroup v2 Slurm slot (tests/fixtures/captures/cgroup-v2-slurm)', () => {
  // The capture is Slurm's batch step. Slurm does not delegate it (no memory in subtree_control);
  // the test adds what a delegating node (systemd Delegate=yes, a container's root) would show.
  function delegatedCapture(): { procSelfCgroup: string; mountRoot: string; step: string } {
    const root = tempDir('cgroup-v2-capture-');
    cpSync(new URL('../../tests/fixtures/captures/cgroup-v2-slurm/', import.meta.url), root, { recursive: true });
    const step = path.join(root, 'sys/fs/cgroup/system.slice/slurmstepd.scope/job_77/step_batch');
    writeFileSync(path.join(step, 'cgroup.subtree_control'), 'memory pids\n');
    return { procSelfCgroup: path.join(root, 'proc/self/cgroup'), mountRoot: path.join(root, 'sys/fs/cgroup'), step };
  }

  it('writes the limit to memory.max, and memory.swap.max = 0 only for MemoryNoSwap', async () => {
    const capture = delegatedCapture();
    const plain = (await createJobCgroup(11, 3000, silentLogger(), capture))!;
    expect(plain.dir).toBe(path.join(capture.step, `dirac-pilot${process.pid}-job11`));
    expect(readFileSync(path.join(plain.dir, 'memory.max'), 'utf8')).toBe(String(3000 * 1024 * 1024));
    expect(existsSync(path.join(plain.dir, 'memory.swap.max'))).toBe(false);
    const noSwap = (await createJobCgroup(12, 3000, silentLogger(), capture, { noSwap: true }))!;
    expect(readFileSync(path.join(noSwap.dir, 'memory.swap.max'), 'utf8')).toBe('0');
  });

  it("recognises an OOM kill from memory.events (the kernel's format), and only a kill", async () => {
    const capture = delegatedCapture();
    const cgroup = (await createJobCgroup(13, 500, silentLogger(), capture))!;
    // Reclaim pressure at the limit (max, oom events) without a kill is not an OOM kill.
    writeFileSync(path.join(cgroup.dir, 'memory.events'), 'low 0\nhigh 0\nmax 5\noom 2\noom_kill 0\noom_group_kill 0\n');
    expect(await cgroup.oomKilled()).toBe(false);
    writeFileSync(path.join(cgroup.dir, 'memory.events'), 'low 0\nhigh 0\nmax 9\noom 3\noom_kill 1\noom_group_kill 0\n');
    expect(await cgroup.oomKilled()).toBe(true);
  });
});
