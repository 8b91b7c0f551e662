/**
 * Extraction limits. The defaults fit DiracX sandboxes (at most 100 MiB compressed) with room for
 * software tarballs, and stop decompression bombs long before they fill a worker node's disk.
 */
export interface SandboxLimits {
  /** Most bytes the decompressed tar stream (headers, data, padding) may reach. */
  maxBytes: number;
  /** Most expanded bytes per compressed byte of the archive file. */
  maxRatio: number;
  /** Most entries (files, directories, links) in one archive. */
  maxEntries: number;
  /** Expanded size below which the ratio is not checked: tiny archives of zeros compress absurdly well. */
  ratioGraceBytes: number;
  /** Largest pax or GNU long-name header body; real ones are a few hundred bytes. */
  maxMetaBytes: number;
}

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  maxBytes: 1024 * 1024 * 1024,
  maxRatio: 100,
  maxEntries: 100_000,
  ratioGraceBytes: 8 * 1024 * 1024,
  maxMetaBytes: 1024 * 1024,
});

/** Defaults overridden by whatever the caller gave; non-positive or non-numeric values are refused. */
export function resolveLimits(overrides: Partial<SandboxLimits> | undefined): SandboxLimits {
  const limits: SandboxLimits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof SandboxLimits)[]) {
    const value = overrides?.[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new TypeError(`sandbox limit ${key} must be a non-negative number, got ${String(value)}`);
    }
    limits[key] = value;
  }
  return limits;
}
