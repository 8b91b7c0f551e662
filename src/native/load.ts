import { constants as osConstants, tmpdir } from 'node:os';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeGypBuild from 'node-gyp-build';
import type { Logger } from '../core/logger.js';
import type { NativeAddon } from './types.js';
import { currentSeaRuntime, nativeAssetKey, type SeaRuntime } from './sea.js';

export type NativeAddonSource = 'prebuild' | 'sea-asset';

export interface NativeAddonStatus {
  loaded: boolean;
  source: NativeAddonSource | null;
  /** Why the addon is not loaded (one line, naming where it was looked for); absent when it is. */
  error?: string;
}

export interface LoadNativeAddonOptions {
  /** The pilot's work directory: where the SEA asset is unpacked first (never $HOME). */
  workDir?: string;
  logger?: Logger;
  /** Directory holding binding.gyp and prebuilds/ (tests); default: found beside the code. */
  nativeDir?: string;
  /** Stand-in for `node:sea` (tests); default: the running executable's. */
  sea?: SeaRuntime | null;
}

export interface NativeAddonLoad {
  addon: NativeAddon | null;
  status: NativeAddonStatus;
}

const REQUIRED_FUNCTIONS = ['setChildSubreaper', 'childrenRusage'] as const;
const OPTIONAL_FUNCTIONS = ['cpuid', 'hwcap', 'reap', 'setDumpable'] as const;

let cached: NativeAddonLoad | undefined;

/**
 * The native addon, or null when it cannot be loaded (the pure-TS fallbacks take over).
 * Loads once per process; later calls return the same answer. Never throws.
 */
export function loadNativeAddon(options: LoadNativeAddonOptions = {}): NativeAddon | null {
  cached ??= tryLoadNativeAddon(options);
  return cached.addon;
}

/** Whether and from where the addon was loaded; loads it first if nobody has yet. */
export function nativeAddonStatus(): NativeAddonStatus {
  cached ??= tryLoadNativeAddon();
  return { ...cached.status };
}

/** One uncached load attempt, with the reason on failure. Never throws. */
export function tryLoadNativeAddon(options: LoadNativeAddonOptions = {}): NativeAddonLoad {
  let result: NativeAddonLoad;
  try {
    const sea = options.sea === undefined ? currentSeaRuntime() : options.sea;
    result = sea?.isSea() ? loadFromSeaAsset(sea, options.workDir) : loadFromPrebuild(options.nativeDir);
  } catch (error) {
    result = failure(`unexpected: ${oneLine(error)}`);
  }
  if (result.addon) {
    options.logger?.debug({ nativeAddon: result.status }, 'native addon loaded');
  } else {
    options.logger?.info({ nativeAddon: result.status }, 'native addon unavailable; using pure-TS fallbacks');
  }
  return result;
}

function loadFromPrebuild(nativeDir: string | undefined): NativeAddonLoad {
  const dir = nativeDir ?? findNativeDir();
  if (!dir) return failure('prebuild: native/ directory not found beside the pilot code');
  let file: string;
  try {
    file = nodeGypBuild.resolve(dir);
  } catch (error) {
    return failure(`prebuild: no prebuild for linux-${process.arch} in ${dir} (run scripts/build-native.sh): ${oneLine(error)}`);
  }
  try {
    return { addon: dlopenAddon(file), status: { loaded: true, source: 'prebuild' } };
  } catch (error) {
    return failure(`prebuild: ${file}: ${oneLine(error)}`);
  }
}

/**
 * Inside the executable the addon is an asset: it goes to a fresh 0700 directory, is
 * dlopen'ed and deleted at once (the mapping outlives the file). Candidates in order: the
 * work directory, the current directory, the temp directory; the next is tried when one is
 * read-only or mounted noexec, both common on batch nodes.
 */
function loadFromSeaAsset(sea: SeaRuntime, workDir: string | undefined): NativeAddonLoad {
  const key = nativeAssetKey();
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(sea.getRawAsset(key));
  } catch (error) {
    return failure(`sea asset: executable has no asset ${key}: ${oneLine(error)}`);
  }
  if (bytes.length === 0) return failure(`sea asset: asset ${key} is empty`);

  const candidates = [...new Set([workDir, safeCwd(), tmpdir()].filter((d): d is string => !!d))];
  const reasons: string[] = [];
  for (const parent of candidates) {
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(parent, '.pilot-native-'));
      const file = join(dir, 'pilot_native.node');
      writeFileSync(file, bytes, { mode: 0o500, flag: 'wx' });
      const addon = dlopenAddon(file);
      return { addon, status: { loaded: true, source: 'sea-asset' } };
    } catch (error) {
      reasons.push(`${parent}: ${oneLine(error)}`);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
  return failure(`sea asset: could not load asset ${key}: ${reasons.join('; ')}`);
}

function dlopenAddon(file: string): NativeAddon {
  const module = { exports: {} as Record<string, unknown> };
  process.dlopen(module, file, osConstants.dlopen.RTLD_NOW);
  const exports = module.exports;
  for (const name of REQUIRED_FUNCTIONS) {
    if (typeof exports[name] !== 'function') throw new Error(`addon lacks ${name}()`);
  }
  for (const name of OPTIONAL_FUNCTIONS) {
    if (name in exports && typeof exports[name] !== 'function') throw new Error(`addon's ${name} is not a function`);
  }
  return exports as unknown as NativeAddon;
}

/** native/ of this checkout: from src/native/ (vitest) or dist/ (the bundle), walking up. */
function findNativeDir(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 4; depth++) {
    const candidate = join(dir, 'native');
    if (existsSync(join(candidate, 'binding.gyp'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

function safeCwd(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined; // the current directory was deleted under us
  }
}

function failure(error: string): NativeAddonLoad {
  return { addon: null, status: { loaded: false, source: null, error } };
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}
