import { z } from 'zod';
import { jdlList, jdlNumber, type JdlDocument } from '../jdl/jdl.js';

/**
 * The provisional match exchange (DESIGN.md "The wire"): NOT a DiracX API. DiracX has no match
 * endpoint yet; this is the shape the pilot, the dev server and other stand-ins agree on.
 */
const Gpu = z
  .object({
    count: z.number().int().min(0),
    'ram-mb': z.number().min(0).optional(),
    vendor: z.string().min(1).optional(),
    'compute-capability': z.union([z.number(), z.string()]).optional(),
    'driver-version': z.union([z.number(), z.string()]).optional(),
  })
  .passthrough()
  .refine((gpu) => gpu.count === 0 || (gpu.vendor !== undefined && gpu['ram-mb'] !== undefined), {
    message: 'a node with GPUs must give their vendor and ram-mb',
  });

/** The node document of devlink42/poc-dirac-job-matchmaking (matchmaking/models/node.py). */
export const NodeDocument = z
  .object({
    version: z.string().optional(),
    node_id: z.string().optional(),
    site: z.string().min(1),
    system: z
      .object({
        name: z.string().min(1),
        glibc: z.union([z.number(), z.string()]),
        'user-namespaces': z.boolean().optional(),
      })
      .passthrough(),
    'wall-time': z.number().int().min(0),
    'cpu-work': z.number().min(0),
    cpu: z
      .object({
        'num-nodes': z.number().int().min(1).optional(),
        'num-cores': z.number().int().min(1),
        'ram-mb': z.number().min(0),
        architecture: z
          .object({
            name: z.string().min(1),
            'microarchitecture-level': z.number().int().min(0).optional(),
          })
          .passthrough(),
      })
      .passthrough(),
    gpu: Gpu.optional(),
    io: z.record(z.unknown()).optional(),
    tags: z.array(z.string()).optional(),
  })
  .passthrough();

/** DIRAC's resource description, the keys its Matcher reads (dirac-pilot.md §2). */
export const DiracResources = z
  .object({
    Site: z.string().min(1),
    GridCE: z.string(),
    CEQueue: z.string(),
    Platform: z.string(),
    Tag: z.array(z.string()),
    RequiredTag: z.array(z.string()),
    NumberOfProcessors: z.number().int().min(1),
    MaxRAM: z.number().min(0),
    NumberOfGPUs: z.number().int().min(0),
    CPUTime: z.number().min(0),
    PilotBenchmark: z.number().min(0),
    PilotReference: z.string(),
    ReleaseVersion: z.string(),
    VirtualOrganization: z.string(),
    OwnerGroup: z.string().optional(),
  })
  .passthrough();

export const MatchRequest = z
  .object({
    pilot_stamp: z.string().min(1).max(32),
    vo: z.string().min(1),
    max_jobs: z.number().int().min(1).max(100),
    node: NodeDocument,
    resources: DiracResources,
  })
  .strict();

export type MatchRequest = z.infer<typeof MatchRequest>;
export type DiracResources = z.infer<typeof DiracResources>;

const isAny = (value: string): boolean => value === '' || value.toUpperCase() === 'ANY';

/** Why a job does not fit the slot, or null when it does. DIRAC Matcher semantics, simplified. */
export function whyNotFit(job: JdlDocument, resources: DiracResources): string | null {
  const processors = jdlNumber(job, 'NumberOfProcessors') ?? jdlNumber(job, 'MinNumberOfProcessors') ?? 1;
  if (processors > resources.NumberOfProcessors) return `needs ${processors} processors, slot has ${resources.NumberOfProcessors}`;
  const ram = jdlNumber(job, 'MaxRAM') ?? 0;
  if (ram > 0 && resources.MaxRAM > 0 && ram > resources.MaxRAM) return `needs ${ram} MB, slot has ${resources.MaxRAM} MB`;
  const tags = [...jdlList(job, 'Tags'), ...jdlList(job, 'Tag')];
  const gpus = jdlNumber(job, 'NumberOfGPUs') ?? (tags.some((t) => t.toUpperCase() === 'GPU') ? 1 : 0);
  if (gpus > resources.NumberOfGPUs) return `needs ${gpus} GPUs, slot has ${resources.NumberOfGPUs}`;
  const platforms = jdlList(job, 'Platform').filter((p) => !isAny(p));
  if (platforms.length > 0 && !platforms.includes(resources.Platform))
    return `needs platform ${platforms.join('|')}, slot is ${resources.Platform}`;
  const sites = jdlList(job, 'Site').filter((s) => !isAny(s));
  if (sites.length > 0 && !sites.includes(resources.Site)) return `needs site ${sites.join('|')}, slot is at ${resources.Site}`;
  if (jdlList(job, 'BannedSites').includes(resources.Site)) return `site ${resources.Site} is banned`;
  const cpuTime = jdlNumber(job, 'CPUTime');
  if (cpuTime !== undefined && cpuTime > resources.CPUTime) return `needs CPUTime ${cpuTime}, slot offers ${resources.CPUTime}`;
  const offered = new Set(resources.Tag);
  const missing = tags.filter((t) => t.toUpperCase() !== 'GPU' && !offered.has(t));
  if (missing.length > 0) return `needs tags ${missing.join(', ')}`;
  const required = resources.RequiredTag.filter((t) => !tags.includes(t));
  if (required.length > 0) return `slot requires tags ${required.join(', ')}`;
  return null;
}
