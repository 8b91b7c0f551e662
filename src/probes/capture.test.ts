import { describe, expect, it } from 'vitest';
import { parseCgroupTranscript, parseCvmfsListing, parseNvidiaGpusTranscript, type VirtualFiles } from './capture.js';
import { openNodeSource } from './source.js';
import { nodeCapture, ownCapture } from './test-fixtures.js';

const empty = (): VirtualFiles => ({ files: new Map(), dirs: new Map() });

describe('flat capture transcripts', () => {
  it('cgroup.txt in `+ cat f1 f2 f3` form: missing files skipped, values in order', () => {
    const tree = empty();
    parseCgroupTranscript(
      '0::/j\n+ cat /sys/fs/cgroup/cpu.max /sys/fs/cgroup/memory.max /sys/fs/cgroup/cpuset.cpus.effective\ncat: /sys/fs/cgroup/cpu.max: No such file or directory\n1073741824\n0-3\n+ ls /sys/fs/cgroup\ncgroup.controllers\nbatch\n',
      tree,
    );
    expect(tree.files.get('/proc/self/cgroup')).toBe('0::/j\n');
    expect(tree.files.has('/sys/fs/cgroup/cpu.max')).toBe(false);
    expect(tree.files.get('/sys/fs/cgroup/memory.max')).toBe('1073741824\n');
    expect(tree.files.get('/sys/fs/cgroup/cpuset.cpus.effective')).toBe('0-3\n');
    expect(tree.files.get('/sys/fs/cgroup/cgroup.controllers')).toBe('');
    expect(tree.dirs.has('/sys/fs/cgroup/batch')).toBe(true);
  });
  it('cgroup.txt in `name: value` form', () => {
    const tree = empty();
    parseCgroupTranscript(
      '4:memory:/b\n---\ncpu.max: 200000 100000\nmemory.max: cat: /sys/fs/cgroup/memory.max: No such file or directory\n',
      tree,
    );
    expect(tree.files.get('/sys/fs/cgroup/cpu.max')).toBe('200000 100000\n');
    expect(tree.files.has('/sys/fs/cgroup/memory.max')).toBe(false);
  });
  it('the NVIDIA driver directory transcript', () => {
    const tree = empty();
    parseNvidiaGpusTranscript(
      '0000:00:06.0\n+ for g in /proc/driver/nvidia/gpus/*\n+ cat /proc/driver/nvidia/gpus/0000:00:06.0/information\nModel: \t X\nGPU UUID: \t GPU-1\n',
      tree,
    );
    expect(tree.dirs.get('/proc/driver/nvidia/gpus')).toEqual(new Set(['0000:00:06.0']));
    expect(tree.files.get('/proc/driver/nvidia/gpus/0000:00:06.0/information')).toBe('Model: \t X\nGPU UUID: \t GPU-1\n');
  });
  it('an ls of /cvmfs, or its absence', () => {
    const tree = empty();
    parseCvmfsListing('lhcb.cern.ch\ngrid.cern.ch\n', tree);
    expect(tree.dirs.get('/cvmfs')).toEqual(new Set(['lhcb.cern.ch', 'grid.cern.ch']));
    const none = empty();
    parseCvmfsListing("ls: cannot access '/cvmfs': No such file or directory\n", none);
    expect(none.dirs.size).toBe(0);
  });
});

describe('openNodeSource', () => {
  it('tells the layouts apart', async () => {
    expect((await openNodeSource('/')).layout).toBe('live');
    expect((await openNodeSource(nodeCapture('h100-x86_64'))).layout).toBe('flat');
    expect((await openNodeSource(ownCapture('cgroup-v2-slurm'))).layout).toBe('tree');
  });
  it('serves a flat capture under Linux paths', async () => {
    const source = await openNodeSource(nodeCapture('h100-x86_64'));
    expect((await source.readText('/proc/cpuinfo'))?.startsWith('processor\t: 0')).toBe(true);
    expect(await source.readText('/sys/devices/system/cpu/online')).toBe('0-15\n');
    expect(await source.listDir('/proc/driver/nvidia/gpus')).toEqual(['0000:00:06.0']);
    expect(await source.readText('/etc/shadow')).toBeNull();
    expect(await source.captured('uname.txt')).toMatch(/x86_64/);
  });
});
