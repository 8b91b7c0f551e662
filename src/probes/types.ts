/**
 * The one typed description of the slot, as `pilot probe --json` prints it.
 * Field names are a contract (../shared/DESIGN.md): other tools and the checks read them.
 */

export type CpuArch = 'x86_64' | 'aarch64' | 'ppc64le' | string;

export interface CpuInfo {
  model: string;
  vendor: string;
  arch: CpuArch;
  /** Logical CPUs the host has online. */
  logicalCpus: number;
  sockets: number;
  coresPerSocket: number;
  threadsPerCore: number;
  /** CPUs this slot may use: min(affinity, cgroup cpuset, ceil(cpu.max quota), batch allocation). */
  allocatedCpus: number;
  /** Most specific archspec name, e.g. "sapphirerapids", "zen3", "neoverse_v1". */
  microarchitecture: string;
  /** x86-64 psABI level 1..4 on x86_64; null elsewhere. */
  microarchitectureLevel: number | null;
  flags: string[];
}

export interface MemoryInfo {
  totalMB: number;
  /** What the slot may use: min(host, cgroup limit, batch allocation). */
  allocatedMB: number;
}

export interface GpuInfo {
  vendor: 'nvidia' | 'amd' | string;
  model: string;
  uuid: string | null;
  memoryMB: number | null;
  driverVersion: string | null;
  computeCapability: string | null;
}

export interface OsInfo {
  id: string;
  versionId: string;
  prettyName: string;
}

export interface DiskInfo {
  workDir: string;
  freeMB: number;
}

export interface ContainerInfo {
  runtime: 'apptainer' | 'singularity' | null;
  /** Where the runtime binary is on the node (PATH or the CVMFS copy); absent in older results. */
  path?: string | null;
  version: string | null;
  /** Whether unprivileged user namespaces can be created here. */
  userNamespaces: boolean;
  /** Whether the pilot itself already runs inside a container. */
  insideContainer: boolean;
}

export interface CvmfsInfo {
  available: boolean;
  repositories: string[];
}

export interface BatchInfo {
  /** 'slurm' | 'htcondor' | 'pbs' | 'lsf' | 'sge' | 'mjf' | null when none was recognised. */
  system: string | null;
  jobId: string | null;
  /** DIRAC pilot reference, e.g. `sshslurm://ce.example.org/1234`. */
  pilotReference?: string | null;
  allocatedCpus?: number | null;
  allocatedMemoryMB?: number | null;
  allocatedGpus?: number | null;
  [key: string]: unknown;
}

export interface ProbeWarning {
  probe: string;
  message: string;
}

export interface ProbeResult {
  cpu: CpuInfo;
  memory: MemoryInfo;
  gpus: GpuInfo[];
  os: OsInfo;
  glibc: string | null;
  /** DIRAC platform string, e.g. `Linux_x86_64_glibc-2.36`. */
  platform: string;
  disk: DiskInfo;
  container: ContainerInfo;
  cvmfs: CvmfsInfo;
  batch: BatchInfo;
  /** Which implementation read CPUID/HWCAP and friends: the native addon or the pure-TS fallback. */
  nativeAddon: boolean;
  warnings: ProbeWarning[];
}
