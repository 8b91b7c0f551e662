import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tryLoadNativeAddon } from '../../src/native/load.js';
import { nativeAssetKey, type SeaRuntime } from '../../src/native/sea.js';
import { ensurePrebuilds, prebuildPath } from './build-prebuilds.js';

const skipReason = process.platform !== 'linux' || process.arch !== 'x64' ? 'the loader tests run on linux-x64' : null;
if (skipReason) console.warn(`tests/native/load.test.ts skipped: ${skipReason}`);

const scratch: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pilot-native-test-'));
  scratch.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Plays the standalone executable: isSea() true, assets from a map. */
function fakeSea(assets: Record<string, Uint8Array>): SeaRuntime {
  return {
    isSea: () => true,
    getRawAsset(key) {
      const bytes = assets[key];
      if (!bytes) throw new Error(`No such asset: ${key}`);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
  };
}

describe.skipIf(skipReason)('loadNativeAddon', () => {
  let toolchainMissing: string | null = null;
  beforeAll(async () => {
    toolchainMissing = await ensurePrebuilds(['x64']);
    if (toolchainMissing) console.warn(`loader tests that need the prebuild skipped: ${toolchainMissing}`);
  }, 180_000);

  it('loads the prebuild from native/ in development', (ctx) => {
    if (toolchainMissing) ctx.skip();
    const { addon, status } = tryLoadNativeAddon({ sea: null });
    expect(status).toEqual({ loaded: true, source: 'prebuild' });
    expect(addon?.childrenRusage().userMicros).toBeGreaterThanOrEqual(0);
  });

  it('falls back with a reason when no prebuild exists', () => {
    const dir = tempDir();
    const { addon, status } = tryLoadNativeAddon({ sea: null, nativeDir: dir });
    expect(addon).toBeNull();
    expect(status.loaded).toBe(false);
    expect(status.source).toBeNull();
    expect(status.error).toMatch(/^prebuild: no prebuild for linux-x64 in /);
    expect(status.error).not.toContain('\n');
  });

  it('falls back with a reason naming the file when the prebuild is corrupt', () => {
    const dir = tempDir();
    mkdirSync(path.join(dir, 'prebuilds', 'linux-x64'), { recursive: true });
    const file = path.join(dir, 'prebuilds', 'linux-x64', 'pilot_native.node');
    writeFileSync(file, 'this is not an ELF file');
    const { addon, status } = tryLoadNativeAddon({ sea: null, nativeDir: dir });
    expect(addon).toBeNull();
    expect(status.error).toContain(file);
    expect(status.error).not.toContain('\n');
  });

  it('inside the executable, loads the asset through a private directory under workDir and leaves nothing', (ctx) => {
    if (toolchainMissing) ctx.skip();
    const workDir = tempDir();
    const sea = fakeSea({ [nativeAssetKey('x64')]: readFileSync(prebuildPath('x64')) });
    const { addon, status } = tryLoadNativeAddon({ sea, workDir });
    expect(status).toEqual({ loaded: true, source: 'sea-asset' });
    expect(addon?.cpuid?.(0, 0)).toHaveLength(4);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('tries the next directory when the work directory is unusable', (ctx) => {
    if (toolchainMissing) ctx.skip();
    const sea = fakeSea({ [nativeAssetKey('x64')]: readFileSync(prebuildPath('x64')) });
    const { status } = tryLoadNativeAddon({ sea, workDir: path.join(tempDir(), 'does-not-exist') });
    expect(status).toEqual({ loaded: true, source: 'sea-asset' });
  });

  it('reports a missing asset', () => {
    const { addon, status } = tryLoadNativeAddon({ sea: fakeSea({}), workDir: tempDir() });
    expect(addon).toBeNull();
    expect(status.error).toMatch(/^sea asset: executable has no asset native-linux-x64\.node/);
  });

  it('reports a corrupt asset for every directory tried and cleans up after each', () => {
    const workDir = tempDir();
    const sea = fakeSea({ [nativeAssetKey('x64')]: new TextEncoder().encode('garbage') });
    const { addon, status } = tryLoadNativeAddon({ sea, workDir });
    expect(addon).toBeNull();
    expect(status.error).toMatch(/^sea asset: could not load asset native-linux-x64\.node: /);
    expect(status.error).toContain(`${workDir}: `);
    expect(readdirSync(workDir)).toEqual([]);
  });

  it('never throws, even when node:sea itself does', () => {
    const sea: SeaRuntime = {
      isSea: () => {
        throw new Error('boom');
      },
      getRawAsset: () => new ArrayBuffer(0),
    };
    expect(tryLoadNativeAddon({ sea }).status).toEqual({ loaded: false, source: null, error: 'unexpected: boom' });
  });
});
