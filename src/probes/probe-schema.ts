import { z } from 'zod';

/**
 * The `pilot probe --json` contract (DESIGN.md) as a schema: the tests hold every probe result
 * to it, and consumers of the JSON (the pipeline, site tools) can parse it back with it.
 */
const nullableCount = z.number().int().nonnegative().nullable();

export const probeResultSchema = z.object({
  cpu: z.object({
    model: z.string(),
    vendor: z.string(),
    arch: z.string().min(1),
    logicalCpus: z.number().int().positive(),
    sockets: z.number().int().positive(),
    coresPerSocket: z.number().int().positive(),
    threadsPerCore: z.number().int().positive(),
    allocatedCpus: z.number().int().positive(),
    microarchitecture: z.string().min(1),
    microarchitectureLevel: z.number().int().min(1).max(4).nullable(),
    flags: z.array(z.string()),
  }),
  memory: z.object({ totalMB: z.number().int().nonnegative(), allocatedMB: z.number().int().nonnegative() }),
  gpus: z.array(
    z.object({
      vendor: z.string(),
      model: z.string(),
      uuid: z.string().nullable(),
      memoryMB: z.number().int().nonnegative().nullable(),
      driverVersion: z.string().nullable(),
      computeCapability: z.string().nullable(),
    }),
  ),
  os: z.object({ id: z.string(), versionId: z.string(), prettyName: z.string() }),
  glibc: z
    .string()
    .regex(/^\d+\.\d+$/)
    .nullable(),
  platform: z.string().regex(/^Linux_[\w]+(_glibc-\d+\.\d+)?$/),
  disk: z.object({ workDir: z.string(), freeMB: z.number().int().nonnegative() }),
  container: z.object({
    runtime: z.enum(['apptainer', 'singularity']).nullable(),
    path: z.string().nullable().optional(),
    version: z.string().nullable(),
    userNamespaces: z.boolean(),
    insideContainer: z.boolean(),
  }),
  cvmfs: z.object({ available: z.boolean(), repositories: z.array(z.string()) }),
  batch: z
    .object({
      system: z.string().nullable(),
      jobId: z.string().nullable(),
      pilotReference: z.string().nullable().optional(),
      allocatedCpus: nullableCount.optional(),
      allocatedMemoryMB: nullableCount.optional(),
      allocatedGpus: nullableCount.optional(),
    })
    .passthrough(),
  nativeAddon: z.boolean(),
  warnings: z.array(z.object({ probe: z.string(), message: z.string().min(1) })),
});
