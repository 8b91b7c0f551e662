import { describe, expect, it } from 'vitest';
import { probeNode } from './index.js';
import { formatProbeTable, twoColumns } from './table.js';
import { nodeCapture, ownCapture } from './test-fixtures.js';

describe('formatProbeTable', () => {
  it('shows the H100 node’s facts one per line', async () => {
    const table = formatProbeTable(await probeNode({ root: nodeCapture('h100-x86_64'), workDir: '/tmp' }));
    expect(table).toMatch(/^CPU model +Intel\(R\) Xeon\(R\) Processor \(GenuineIntel\)$/m);
    expect(table).toMatch(/^Architecture +x86_64, icelake, x86-64-v4$/m);
    expect(table).toMatch(/^CPUs +16 allocated of 16 online \(1 socket\(s\) x 16 core\(s\) x 1 thread\(s\)\)$/m);
    // Too long for one 100-column line: the UUID wraps under the value column.
    expect(table).toMatch(
      /^GPU 0 +nvidia NVIDIA H100 80GB HBM3, 81559 MB, cc 9.0, driver 580.159.04\n {17}\(GPU-1a2431af-ffb7-e916-44f1-02ed035f959c\)$/m,
    );
    expect(table).toMatch(/^CPU features +pure-TS \(\/proc\/cpuinfo\)$/m);
    expect(table).toMatch(/^Warning \(glibc\) +no glibc found/m);
  });
  it('names the batch allocation', async () => {
    const table = formatProbeTable(await probeNode({ root: ownCapture('cgroup-v2-slurm'), ceName: 'ce' }));
    expect(table).toMatch(/^Batch system +slurm job 77; allocation: cpus 4, memory 6000 MB, gpus -$/m);
    expect(table).toMatch(/^Pilot reference +sshslurm:\/\/ce\/77$/m);
  });
  it('wraps long values under their key', () => {
    const text = twoColumns([['k', 'a '.repeat(40).trim()]], 40);
    const lines = text.split('\n');
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.every((line) => line.length <= 40)).toBe(true);
    expect(lines[1]?.startsWith('   a')).toBe(true);
  });
});
