import { nativeAddonStatus, type NativeAddonStatus } from '../native/load.js';
import { isSeaExecutable } from '../native/sea.js';
import { currentLaunch, type LaunchInfo } from './launch-info.js';

// Replaced at bundle time by scripts/build.mjs (esbuild `define`); undefined under vitest.
declare const __PILOT_VERSION__: string | undefined;
declare const __PILOT_COMMIT__: string | undefined;

export interface VersionInfo {
  version: string;
  commit: string;
  /** The running Node, which inside the executable is the embedded one. */
  node: string;
  arch: string;
  platform: string;
  /** True when running as the standalone executable (Node SEA). */
  sea: boolean;
  nativeAddon: NativeAddonStatus;
  /** The bundle the launcher ran and whether its code cache was accepted; null outside the launcher. */
  launch: LaunchInfo | null;
}

const DEV_VERSION = '0.0.0-dev';
const UNKNOWN_COMMIT = 'unknown';

/** What `pilot version` reports. Loads the native addon if nothing has yet, to say whether it can. */
export function versionInfo(overrides: { nativeAddon?: NativeAddonStatus } = {}): VersionInfo {
  return {
    version: typeof __PILOT_VERSION__ === 'string' ? __PILOT_VERSION__ : DEV_VERSION,
    commit: typeof __PILOT_COMMIT__ === 'string' ? __PILOT_COMMIT__ : UNKNOWN_COMMIT,
    node: process.version,
    arch: process.arch,
    platform: process.platform,
    sea: isSeaExecutable(),
    nativeAddon: overrides.nativeAddon ?? nativeAddonStatus(),
    launch: currentLaunch(),
  };
}

/** Human form, one `key: value` per line so site admins and scripts can grep it. */
export function formatVersion(info: VersionInfo): string {
  const addon = info.nativeAddon.loaded
    ? `loaded (${info.nativeAddon.source})`
    : `not loaded: ${info.nativeAddon.error ?? 'unknown reason'} (pure-TS fallbacks in use)`;
  return (
    [
      `pilot ${info.version} (commit ${info.commit})`,
      `node: ${info.node}`,
      `platform: ${info.platform}-${info.arch}`,
      `executable: ${info.sea ? 'standalone (Node SEA)' : 'node script'}`,
      `native addon: ${addon}`,
      ...(info.launch ? [`bundle: ${info.launch.bundle}, code cache ${info.launch.codeCache}`] : []),
    ].join('\n') + '\n'
  );
}
