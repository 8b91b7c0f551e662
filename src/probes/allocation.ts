import type { CgroupLimits } from './cgroup.js';

/**
 * What this slot may use, from every limit that applies: the kernel (online CPUs, affinity,
 * cgroup cpuset and CPU quota, memory limit) and the batch system's allocation. The batch
 * allocation wins over host totals even when no cgroup enforces it: the site asked for it.
 */
export interface CpuLimitSources {
  logicalCpus: number;
  /** os.availableParallelism(): only meaningful on the live node. */
  affinity: number | null;
  cgroup: Pick<CgroupLimits, 'cpusetCpus' | 'cpuQuota'>;
  batchCpus: number | null;
}

export function allocatedCpus(sources: CpuLimitSources): number {
  const candidates = [sources.logicalCpus];
  if (sources.affinity !== null && sources.affinity > 0) candidates.push(sources.affinity);
  if (sources.cgroup.cpusetCpus && sources.cgroup.cpusetCpus.length > 0) candidates.push(sources.cgroup.cpusetCpus.length);
  // A quota of 1.5 CPUs still lets two processes run; round up as Kubernetes and Slurm users expect.
  if (sources.cgroup.cpuQuota !== null && sources.cgroup.cpuQuota > 0) candidates.push(Math.ceil(sources.cgroup.cpuQuota));
  if (sources.batchCpus !== null && sources.batchCpus > 0) candidates.push(sources.batchCpus);
  return Math.max(1, Math.min(...candidates));
}

export function allocatedMemoryMB(totalMB: number, cgroupLimitBytes: number | null, batchMB: number | null): number {
  const candidates = [totalMB];
  if (cgroupLimitBytes !== null && cgroupLimitBytes > 0) candidates.push(Math.floor(cgroupLimitBytes / (1024 * 1024)));
  if (batchMB !== null && batchMB > 0) candidates.push(batchMB);
  return Math.min(...candidates);
}
