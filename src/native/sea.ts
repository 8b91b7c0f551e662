import { createRequire } from 'node:module';

/** The part of `node:sea` the pilot uses; injectable so tests can play the executable. */
export interface SeaRuntime {
  isSea(): boolean;
  /** The asset's bytes; throws when the executable has no asset under that key. */
  getRawAsset(key: string): ArrayBuffer;
}

/** Name of the addon asset for an architecture, as scripts/build-binaries.sh embeds it. */
export function nativeAssetKey(arch: string = process.arch): string {
  return `native-linux-${arch}.node`;
}

/**
 * `node:sea` when this runtime has it, else null. Loaded through createRequire so the
 * module graph never depends on it (a plain `node` older than 20.12 lacks it), and so the
 * esbuild bundle keeps it as a runtime require of a built-in, which a SEA allows.
 */
export function currentSeaRuntime(): SeaRuntime | null {
  try {
    const require = createRequire(import.meta.url);
    const sea = require('node:sea') as Partial<SeaRuntime>;
    if (typeof sea.isSea !== 'function' || typeof sea.getRawAsset !== 'function') return null;
    return sea as SeaRuntime;
  } catch {
    return null;
  }
}

/** True when this process is the standalone executable. */
export function isSeaExecutable(): boolean {
  try {
    return currentSeaRuntime()?.isSea() ?? false;
  } catch {
    return false;
  }
}
