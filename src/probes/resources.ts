import type { DiracResources } from '../backend/types.js';
import { repositoryName } from './cvmfs.js';
import type { NodeDocument } from './node-document.js';
import type { ProbeResult } from './types.js';

/**
 * What the pilot's parameters add to a probe result to describe the slot to a matcher.
 * Everything but site/ce/queue/vo is optional; overrides come from the CE or queue
 * configuration (CheckCECapabilities in DIRAC) and win over what the probe measured.
 */
export interface ResourceParams {
  /** DIRAC site name, e.g. `LCG.CERN.cern`. */
  site: string;
  /** Grid CE host name. */
  ce: string;
  queue: string;
  vo: string;
  /** Tags the CE/queue or the command line (`-t`) give this pilot. */
  tags?: string[];
  /** Tags a job must request to be matched here (`--requiredTag`). */
  requiredTags?: string[];
  /** CPU work left, in DIRAC's CPUTime units (seconds × power). */
  cpuTime?: number;
  /** DB12 power of this node. */
  pilotBenchmark?: number;
  /** Overrides the reference derived from the batch environment. */
  pilotReference?: string;
  releaseVersion?: string;
  ownerGroup?: string;
  /** Extra requirements sent as they are (DIRAC's /AgentJobRequirements: OwnerDN, OwnerGroup, …). */
  requirements?: Record<string, string>;
  /** The queue hands out whole nodes: adds the `WholeNode` tag. */
  wholeNode?: boolean;
  overrides?: {
    /** MB; DIRAC's MaxRAM. */
    maxRAM?: number;
    processors?: number;
    gpus?: number;
    platform?: string;
  };
  /** Node document only: the matchmaking document's id (default the pilot reference, else `<ce>/interactive`). */
  nodeId?: string;
  /** Node document only: wall-clock seconds left in the slot. */
  wallTimeSeconds?: number;
  /** Node document only: CPU work left; default cpuTime. */
  cpuWork?: number;
  /** Node document only: the matchmaking document version (default 0.1.0). */
  documentVersion?: string;
}

function processorsOf(probe: ProbeResult, params: ResourceParams): number {
  return Math.max(1, params.overrides?.processors ?? probe.cpu.allocatedCpus);
}

function gpuCount(probe: ProbeResult, params: ResourceParams): number {
  return params.overrides?.gpus ?? probe.gpus.length;
}

/** DIRAC's derived tags: `<N>Processors` for 2..N, `MultiProcessor`, `WholeNode`, `GPU`. */
export function derivedTags(processors: number, gpus: number, wholeNode: boolean): string[] {
  const tags: string[] = [];
  for (let n = 2; n <= processors; n += 1) tags.push(`${n}Processors`);
  if (processors > 1) tags.push('MultiProcessor');
  if (wholeNode) tags.push('WholeNode');
  if (gpus > 0) tags.push('GPU');
  return tags;
}

/** The DIRAC resource description (dirac-pilot.md §2), the `resources` of the match request. */
export function buildDiracResources(probe: ProbeResult, params: ResourceParams): DiracResources {
  const processors = processorsOf(probe, params);
  const gpus = gpuCount(probe, params);
  const tags = [...new Set([...(params.tags ?? []), ...derivedTags(processors, gpus, params.wholeNode === true)])];
  const resources: DiracResources = {
    Site: params.site,
    GridCE: params.ce,
    CEQueue: params.queue,
    Platform: params.overrides?.platform ?? probe.platform,
    Tag: tags,
    RequiredTag: [...new Set(params.requiredTags ?? [])],
    NumberOfProcessors: processors,
    MaxRAM: params.overrides?.maxRAM ?? probe.memory.allocatedMB,
    NumberOfGPUs: gpus,
    CPUTime: Math.max(0, Math.floor(params.cpuTime ?? 0)),
    PilotBenchmark: params.pilotBenchmark ?? 0,
    PilotReference: params.pilotReference ?? probe.batch.pilotReference ?? '',
    ReleaseVersion: params.releaseVersion ?? '',
    VirtualOrganization: params.vo,
  };
  if (params.ownerGroup) resources.OwnerGroup = params.ownerGroup;
  Object.assign(resources, params.requirements ?? {});
  return resources;
}

const EL_LIKE = new Set(['rhel', 'almalinux', 'rocky', 'centos', 'ol', 'scientific', 'fedora-el']);
const OS_SHORT: Record<string, string> = {
  almalinux: 'alma',
  rocky: 'rocky',
  centos: 'centos',
  rhel: 'rhel',
  ubuntu: 'ubuntu',
  debian: 'debian',
};

/** Tags the matchmaking documents use: `cvmfs:<vo>`, `os:el9` / `os:alma9` / `os:ubuntu24`, `gpu:<vendor>`. */
export function nodeTags(probe: ProbeResult): string[] {
  const tags: string[] = [];
  for (const repository of probe.cvmfs.repositories) tags.push(`cvmfs:${repositoryName(repository).split('.')[0]}`);
  const major = probe.os.versionId.split('.')[0];
  if (probe.os.id !== 'unknown' && major && /^\d+$/.test(major)) {
    if (EL_LIKE.has(probe.os.id)) tags.push(`os:el${major}`);
    tags.push(`os:${OS_SHORT[probe.os.id] ?? probe.os.id}${major}`);
  }
  for (const vendor of new Set(probe.gpus.map((gpu) => gpu.vendor))) tags.push(`gpu:${vendor}`);
  return tags;
}

function minimum(values: Array<number | null>): number | null {
  const present = values.filter((value): value is number => value !== null && Number.isFinite(value));
  return present.length > 0 ? Math.min(...present) : null;
}

/** The DiracX matchmaking node document, the `node` of the match request. */
export function buildNodeDocument(probe: ProbeResult, params: ResourceParams): NodeDocument {
  const gpus = gpuCount(probe, params);
  const arch = probe.cpu.arch === 'aarch64' || probe.cpu.arch === 'ppc64le' ? probe.cpu.arch : 'x86_64';
  const gpuMemory = minimum(probe.gpus.map((gpu) => gpu.memoryMB));
  const capabilities = probe.gpus.map((gpu) =>
    gpu.computeCapability && /^\d+\.\d+$/.test(gpu.computeCapability) ? Number(gpu.computeCapability) : null,
  );
  const capability = minimum(capabilities);
  const firstGpu = probe.gpus[0];
  const document: NodeDocument = {
    version: params.documentVersion ?? '0.1.0',
    // The pilot reference already names the CE and the batch job; without one, the CE and 'interactive'.
    node_id: params.nodeId ?? params.pilotReference ?? probe.batch.pilotReference ?? `${params.ce}/${probe.batch.jobId ?? 'interactive'}`,
    site: params.site,
    system: {
      name: 'Linux',
      ...(probe.glibc ? { glibc: probe.glibc } : {}),
      'user-namespaces': probe.container.userNamespaces,
    },
    'wall-time': Math.max(0, Math.floor(params.wallTimeSeconds ?? 0)),
    'cpu-work': Math.max(0, params.cpuWork ?? params.cpuTime ?? 0),
    cpu: {
      'num-nodes': 1,
      'num-cores': processorsOf(probe, params),
      'ram-mb': Math.max(0, Math.floor(params.overrides?.maxRAM ?? probe.memory.allocatedMB)),
      architecture: {
        name: arch,
        ...(probe.cpu.microarchitectureLevel !== null ? { 'microarchitecture-level': probe.cpu.microarchitectureLevel } : {}),
        microarchitecture: probe.cpu.microarchitecture,
      },
    },
    gpu:
      gpus > 0 && firstGpu
        ? {
            count: gpus,
            vendor: firstGpu.vendor,
            model: firstGpu.model,
            ...(gpuMemory !== null ? { 'ram-mb': gpuMemory } : {}),
            ...(capability !== null ? { 'compute-capability': capability } : {}),
            ...(firstGpu.driverVersion ? { 'driver-version': firstGpu.driverVersion } : {}),
          }
        : { count: 0 },
    tags: [...new Set([...nodeTags(probe), ...(params.tags ?? [])])],
  };
  return document;
}

/** `pilot probe --json` with the two resource descriptions attached (DESIGN.md contract). */
export function probeReport(
  probe: ProbeResult,
  params: ResourceParams,
): ProbeResult & { diracResources: DiracResources; nodeDocument: NodeDocument } {
  return { ...probe, diracResources: buildDiracResources(probe, params), nodeDocument: buildNodeDocument(probe, params) };
}
