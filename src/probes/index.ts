import { availableParallelism, hostname } from 'node:os';
import type { Logger } from '../core/logger.js';
import { allocatedCpus, allocatedMemoryMB } from './allocation.js';
import { readBatch } from './batch/index.js';
import { readCgroupLimits } from './cgroup.js';
import { readContainer, type ContainerRuntimeOptions } from './container.js';
import { readCpu, type NativeAddonSource } from './cpu.js';
import { readCvmfs } from './cvmfs.js';
import { readDisk } from './disk.js';
import { readGlibc } from './glibc.js';
import { readGpuInventory, selectGpus, type NvidiaSmiOptions } from './gpu/index.js';
import { readMemTotalMB } from './memory.js';
import { detectMicroarchitecture, x86PsabiLevel } from './microarchitecture.js';
import { readOs } from './os.js';
import { parseEnvFile } from './parse.js';
import { diracPlatform } from './platform.js';
import { openNodeSource, type NodeSource } from './source.js';
import type { ProbeResult } from './types.js';
import { Warnings } from './warnings.js';

export type { ProbeResult } from './types.js';

export interface ProbeOptions {
  /** Sysroot: "/" (default) is the live node; a directory is a captured tree or a flat capture. */
  root?: string;
  /** Default: process.env on the live node, {} on a capture (whose env.txt/env_gpu.txt are read). */
  env?: NodeJS.ProcessEnv;
  /** Where the pilot works; its free space is measured. Default process.cwd(). */
  workDir?: string;
  logger?: Logger;
  /** The native addon (CPUID / AT_HWCAP), or a loader called only if needed; null or absent: pure-TS readers only. */
  native?: NativeAddonSource;
  nvidiaSmi?: NvidiaSmiOptions;
  container?: ContainerRuntimeOptions;
  /** Repositories to look for under /cvmfs; default DIRAC's grid.cern.ch and dirac.egi.eu. */
  cvmfsRepositories?: string[];
  /**
   * CE name for the pilot reference (`sshslurm://<ce>/<id>`), i.e. DIRAC's `-N`. Default: the
   * submit host the batch system records (SLURM_SUBMIT_HOST, PBS_O_HOST, LSB_SUB_HOST,
   * SGE_O_HOST, the schedd in HTCondor's GlobalJobId), else this host's name.
   */
  ceName?: string;
}

/** A capture may record the environment it was taken in. */
async function capturedEnv(source: NodeSource): Promise<Record<string, string>> {
  if (source.layout === 'live') return {};
  const files = await Promise.all(['env_gpu.txt', 'env.txt'].map((name) => source.captured(name)));
  return Object.assign({}, ...files.map((text) => (text === null ? {} : parseEnvFile(text))));
}

/**
 * Probe the node: every field of ProbeResult, reading files in parallel and running a binary
 * only where no file tells the same (nvidia-smi for GPU memory, apptainer --version).
 * Never throws for bad or missing input: what could not be read is in `warnings`.
 */
export async function probeNode(options: ProbeOptions = {}): Promise<ProbeResult> {
  const warnings = new Warnings();
  const source = await openNodeSource(options.root ?? '/');
  const live = source.layout === 'live';
  const env = { ...(await capturedEnv(source)), ...(options.env ?? (live ? process.env : {})) };
  const native = live ? (options.native ?? null) : null;
  const workDir = options.workDir ?? process.cwd();

  // How long each part took to answer (they run together): `pilot probe --debug` logs it, for a
  // site admin wondering why a probe is slow on some node.
  // process.hrtime, not performance.now(): the `performance` global loads perf_hooks (eleven
  // internal modules, about a millisecond of every start).
  const sectionMs: Record<string, number> = {};
  const started = process.hrtime.bigint();
  const timed = <T>(name: string, work: Promise<T>): Promise<T> =>
    work.then((value) => {
      sectionMs[name] = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
      return value;
    });
  const [gpuInventory, cpu, cgroup, memTotal, osInfo, glibc, disk, container, cvmfs, batch] = await Promise.all([
    // First: nvidia-smi, the slowest part on a GPU node, runs while the files below are read.
    timed('gpu', readGpuInventory(source, env, options.nvidiaSmi ?? {}, warnings)),
    timed('cpu', readCpu(source, warnings, native)),
    timed('cgroup', readCgroupLimits(source, warnings)),
    timed('memory', readMemTotalMB(source, warnings)),
    timed('os', readOs(source, warnings)),
    timed('glibc', readGlibc(source, warnings)),
    timed('disk', readDisk(workDir, warnings)),
    timed('container', readContainer(source, env, options.container ?? {}, warnings)),
    timed('cvmfs', readCvmfs(source, options.cvmfsRepositories, warnings)),
    timed('batch', readBatch({ env, source, warnings }, options.ceName, hostname())),
  ]);
  options.logger?.debug({ sectionMs }, 'probe: milliseconds from start until each part answered');
  const gpu = selectGpus(
    gpuInventory,
    env,
    { system: batch.system, gpuIds: Array.isArray(batch.gpuIds) ? (batch.gpuIds as string[]) : null },
    warnings,
  );

  const features = new Set(cpu.flags);
  const totalMB = memTotal ?? 0;
  const result: ProbeResult = {
    cpu: {
      model: cpu.model,
      vendor: cpu.vendor,
      arch: cpu.arch,
      logicalCpus: cpu.logicalCpus,
      sockets: cpu.sockets,
      coresPerSocket: cpu.coresPerSocket,
      threadsPerCore: cpu.threadsPerCore,
      allocatedCpus: allocatedCpus({
        logicalCpus: cpu.logicalCpus,
        affinity: live ? availableParallelism() : null,
        cgroup,
        batchCpus: batch.allocatedCpus ?? null,
      }),
      microarchitecture: detectMicroarchitecture({
        family: cpu.arch,
        vendor: cpu.vendor,
        features,
        cpuPart: cpu.cpuPart,
        generation: cpu.powerGeneration,
      }),
      microarchitectureLevel: x86PsabiLevel(cpu.arch, features),
      flags: cpu.flags,
    },
    memory: { totalMB, allocatedMB: allocatedMemoryMB(totalMB, cgroup.memoryLimitBytes, batch.allocatedMemoryMB ?? null) },
    gpus: gpu.gpus,
    os: osInfo,
    glibc,
    platform: diracPlatform(cpu.arch, glibc),
    disk,
    container,
    cvmfs,
    batch: { ...batch, gpusDetected: gpu.detected, gpusSelectedBy: gpu.selectedBy, cgroup: cgroup.version },
    nativeAddon: cpu.usedNative,
    warnings: warnings.list,
  };
  // Debug only: callers report result.warnings themselves (the table, describe-resources).
  for (const warning of warnings.list) options.logger?.debug({ probe: warning.probe }, warning.message);
  return result;
}
