import { describe, expect, it } from 'vitest';
import { formatVersion, versionInfo } from './version.js';

describe('versionInfo', () => {
  it('reports the running Node and platform, and falls back when the bundle defines are absent', () => {
    const info = versionInfo({ nativeAddon: { loaded: false, source: null, error: 'prebuild: none' } });
    expect(info).toMatchObject({
      version: '0.0.0-dev',
      commit: 'unknown',
      node: process.version,
      arch: process.arch,
      platform: process.platform,
      sea: false,
    });
  });
});

describe('formatVersion', () => {
  const base = {
    version: '1.2.3',
    commit: 'abcdef012345',
    node: 'v22.23.3',
    arch: 'arm64',
    platform: 'linux',
    sea: true,
    launch: null,
  };
  it('names version, node, platform, executable kind and where the addon came from', () => {
    expect(formatVersion({ ...base, nativeAddon: { loaded: true, source: 'sea-asset' } })).toBe(
      [
        'pilot 1.2.3 (commit abcdef012345)',
        'node: v22.23.3',
        'platform: linux-arm64',
        'executable: standalone (Node SEA)',
        'native addon: loaded (sea-asset)',
        '',
      ].join('\n'),
    );
  });
  it('names the bundle and the fate of its code cache when the launcher ran it', () => {
    const text = formatVersion({
      ...base,
      launch: { bundle: 'pilot-lite', codeCache: 'rejected' },
      nativeAddon: { loaded: true, source: 'prebuild' },
    });
    expect(text.trimEnd().split('\n').at(-1)).toBe('bundle: pilot-lite, code cache rejected');
  });
  it('says why the addon is missing', () => {
    const text = formatVersion({ ...base, sea: false, nativeAddon: { loaded: false, source: null, error: 'prebuild: gone' } });
    expect(text).toContain('executable: node script');
    expect(text).toContain('native addon: not loaded: prebuild: gone (pure-TS fallbacks in use)');
  });
});
