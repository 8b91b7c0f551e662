import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { extractSandbox } from './extract.js';
import { detectFormat } from './format.js';
import { SandboxError } from './errors.js';
import { encodeRaw } from './tar-header.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'zstd-frames-'));
  dirs.push(dir);
  return dir;
}

/** One-file tar, written with the pilot's header encoder (the reader is what is under test). */
function tarOf(name: string, data: Buffer): Buffer {
  const header = encodeRaw({ name, mode: 0o644, size: data.length, mtime: 1_700_000_000, typeFlag: '0' });
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, pad, Buffer.alloc(1024)]);
}

function skippable(payload: Buffer, nibble = 0x3): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x184d2a50 + nibble, 0);
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

async function extractBytes(archive: Buffer): Promise<Record<string, string>> {
  const dir = tempDir();
  const file = path.join(dir, 'sandbox.tar.zst');
  writeFileSync(file, archive);
  const dest = path.join(dir, 'out');
  mkdirSync(dest);
  await extractSandbox(file, dest);
  const out: Record<string, string> = {};
  for (const name of execFileSync('ls', [dest], { encoding: 'utf8' }).split('\n').filter(Boolean)) {
    out[name] = createHash('sha256')
      .update(readFileSync(path.join(dest, name)))
      .digest('hex');
  }
  return out;
}

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('zstd streams of several frames (RFC 8878 §3.1; issue 16 §1b)', () => {
  it('accepts a stream that starts with a skippable frame (it was refused as unsupported-format)', async () => {
    const data = Buffer.from('input for the job\n'.repeat(1000));
    const archive = Buffer.concat([skippable(Buffer.from('metadata')), zlib.zstdCompressSync(tarOf('in.txt', data))]);
    expect(detectFormat(archive)).toBe('tar.zst');
    expect(await extractBytes(archive)).toEqual({ 'in.txt': sha(data) });
  });

  it('reads every frame of a tar split across frames, with skippable frames between them', async () => {
    const data = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i}\n`).join(''));
    const tar = tarOf('big.txt', data);
    const cut = [0, 100_000, 250_001, tar.length];
    const parts = cut.slice(1).map((end, i) => zlib.zstdCompressSync(tar.subarray(cut[i], end)));
    const archive = Buffer.concat([parts[0]!, skippable(Buffer.alloc(3), 0xf), parts[1]!, skippable(Buffer.alloc(0)), parts[2]!]);
    expect(await extractBytes(archive)).toEqual({ 'big.txt': sha(data) });
  });

  it.skipIf(!hasPzstd())('extracts what pzstd writes (a skippable frame before each of several frames)', async () => {
    const dir = tempDir();
    const data = Buffer.from(Array.from({ length: 120_000 }, (_, i) => `${i} ${sha(Buffer.from(String(i))).slice(0, 24)}\n`).join(''));
    writeFileSync(path.join(dir, 'tar.in'), tarOf('p.txt', data));
    const archive = execFileSync('pzstd', ['-q', '-1', '-p', '2', '-c', path.join(dir, 'tar.in')], { maxBuffer: 64 * 1024 * 1024 });
    const frames = countOf(archive, Buffer.from([0x28, 0xb5, 0x2f, 0xfd]));
    expect(frames).toBeGreaterThan(1);
    expect(await extractBytes(archive)).toEqual({ 'p.txt': sha(data) });
  });

  it('still refuses a stream cut inside a frame, junk in place of a frame, and skippable frames alone, as corrupt', async () => {
    const whole = zlib.zstdCompressSync(tarOf('a', Buffer.alloc(200_000, 7)));
    const refusal = (archive: Buffer) =>
      extractBytes(archive).then(
        () => null,
        (error: unknown) => error as SandboxError,
      );
    const cut = await refusal(whole.subarray(0, Math.floor(whole.length / 2)));
    expect(cut?.reason).toBe('corrupt');
    // Junk where the next frame of an unfinished tar should start (after the tar's end it is never read).
    const tar = tarOf('b', Buffer.alloc(200_000, 9));
    const junk = await refusal(Buffer.concat([zlib.zstdCompressSync(tar.subarray(0, 100_000)), Buffer.from('not a frame')]));
    expect(junk?.reason).toBe('corrupt');
    const onlySkippable = await refusal(skippable(Buffer.from('x')));
    expect(onlySkippable?.reason).toBe('corrupt');
  });
});

function hasPzstd(): boolean {
  try {
    execFileSync('pzstd', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn('[zstd-frames] pzstd not installed: the pzstd case is skipped');
    return false;
  }
}

function countOf(haystack: Buffer, needle: Buffer): number {
  let count = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + 1)) count++;
  return count;
}
