import type { ProbeResult } from './types.js';

/** Two aligned columns; long values wrap onto continuation lines so a terminal stays readable. */
export function twoColumns(rows: Array<[string, string]>, width = 100): string {
  const keyWidth = Math.max(...rows.map(([key]) => key.length));
  const valueWidth = Math.max(20, width - keyWidth - 2);
  const lines: string[] = [];
  for (const [key, value] of rows) {
    const words = value.split(' ');
    let line = '';
    const chunks: string[] = [];
    for (const word of words) {
      if (line && line.length + 1 + word.length > valueWidth) {
        chunks.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    chunks.push(line);
    chunks.forEach((chunk, i) => lines.push(`${(i === 0 ? key : '').padEnd(keyWidth)}  ${chunk}`.trimEnd()));
  }
  return lines.join('\n');
}

const orDash = (value: unknown): string => (value === null || value === undefined || value === '' ? '-' : String(value));

/** `pilot probe` for people: one line per fact, warnings last. */
export function formatProbeTable(probe: ProbeResult): string {
  const { cpu, memory, batch } = probe;
  const rows: Array<[string, string]> = [
    ['CPU model', `${cpu.model} (${cpu.vendor})`],
    [
      'Architecture',
      `${cpu.arch}, ${cpu.microarchitecture}${cpu.microarchitectureLevel !== null ? `, x86-64-v${cpu.microarchitectureLevel}` : ''}`,
    ],
    [
      'CPUs',
      `${cpu.allocatedCpus} allocated of ${cpu.logicalCpus} online (${cpu.sockets} socket(s) x ${cpu.coresPerSocket} core(s) x ${cpu.threadsPerCore} thread(s))`,
    ],
    ['Memory', `${memory.allocatedMB} MB allocated of ${memory.totalMB} MB`],
  ];
  if (probe.gpus.length === 0) rows.push(['GPUs', 'none']);
  probe.gpus.forEach((gpu, i) => {
    const details = [
      gpu.memoryMB !== null ? `${gpu.memoryMB} MB` : null,
      gpu.computeCapability ? `cc ${gpu.computeCapability}` : null,
      gpu.driverVersion ? `driver ${gpu.driverVersion}` : null,
    ].filter(Boolean);
    rows.push([
      `GPU ${i}`,
      `${gpu.vendor} ${gpu.model}${details.length ? `, ${details.join(', ')}` : ''}${gpu.uuid ? ` (${gpu.uuid})` : ''}`,
    ]);
  });
  rows.push(
    ['OS', `${probe.os.prettyName} (${probe.os.id} ${probe.os.versionId})`],
    ['Platform', probe.platform],
    ['Work dir', `${probe.disk.workDir}: ${probe.disk.freeMB} MB free`],
    [
      'Container',
      `${probe.container.runtime ? `${probe.container.runtime} ${orDash(probe.container.version)}` : 'no apptainer/singularity'}; user namespaces ${probe.container.userNamespaces ? 'yes' : 'no'}; ${probe.container.insideContainer ? 'inside a container' : 'not in a container'}`,
    ],
    ['CVMFS', probe.cvmfs.available ? probe.cvmfs.repositories.join(' ') : 'not available'],
    [
      'Batch system',
      batch.system
        ? `${batch.system} job ${orDash(batch.jobId)}; allocation: cpus ${orDash(batch.allocatedCpus)}, memory ${orDash(batch.allocatedMemoryMB)} MB, gpus ${orDash(batch.allocatedGpus)}`
        : 'none recognised',
    ],
    ['Pilot reference', orDash(batch.pilotReference)],
    ['CPU features', probe.nativeAddon ? 'native addon (CPUID/HWCAP)' : 'pure-TS (/proc/cpuinfo)'],
  );
  for (const warning of probe.warnings) rows.push([`Warning (${warning.probe})`, warning.message]);
  return `${twoColumns(rows)}\n`;
}
