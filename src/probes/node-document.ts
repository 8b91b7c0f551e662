import { z } from 'zod';

/**
 * The DiracX matchmaking node document (the matchmaking proof of concept's `nodes/*.yaml`):
 * what a pilot offers, in the shape the provisional match request carries as `node`.
 * Versions come as YAML numbers there (glibc: 2.28, compute-capability: 8.0); the pilot sends
 * strings where a number would lose digits (glibc 2.10 is not 2.1), so both are accepted.
 */
const versionLike = z.union([z.number().nonnegative(), z.string().regex(/^\d+(\.\d+)*$/)]);
const count = z.number().int().nonnegative();

export const nodeDocumentSchema = z
  .object({
    version: z.string().min(1),
    node_id: z.string().min(1),
    site: z.string().min(1),
    system: z
      .object({
        name: z.string().min(1),
        glibc: versionLike.optional(),
        'user-namespaces': z.boolean().optional(),
      })
      .strict(),
    'wall-time': count,
    'cpu-work': z.number().nonnegative(),
    cpu: z
      .object({
        'num-nodes': z.number().int().positive().optional(),
        'num-cores': z.number().int().positive(),
        'ram-mb': count,
        architecture: z
          .object({
            name: z.enum(['x86_64', 'aarch64', 'ppc64le']),
            'microarchitecture-level': z.number().int().positive().nullable().optional(),
            microarchitecture: z.string().optional(),
          })
          .strict(),
      })
      .strict(),
    gpu: z
      .object({
        count,
        'ram-mb': count.optional(),
        vendor: z.string().min(1).optional(),
        model: z.string().optional(),
        'compute-capability': versionLike.optional(),
        'driver-version': z.string().optional(),
      })
      .strict()
      .refine((gpu) => gpu.count === 0 || gpu.vendor !== undefined, {
        message: 'a GPU count above 0 needs the GPU description (at least its vendor)',
      })
      .optional(),
    io: z.object({ 'scratch-iops': count.optional(), 'scratch-mb': count.optional() }).strict().optional(),
    tags: z.array(z.string().min(1)),
  })
  .strict();

export type NodeDocument = z.infer<typeof nodeDocumentSchema>;
