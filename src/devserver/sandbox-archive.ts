import { createHash } from 'node:crypto';
import { zstdCompressSync } from 'node:zlib';
import { Header } from 'tar';

export interface SandboxArchive {
  data: Buffer;
  sha256: string;
  size: number;
}

const BLOCK = 512;

/**
 * A tar built in memory from a few small files: what the dev servers (DiracX and legacy DIRAC)
 * store as input sandboxes. Names ending in `.sh` are made executable: demo jobs ship their
 * scripts this way.
 */
export function buildTar(files: Record<string, string | Buffer>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    if (name.startsWith('/') || name.split('/').includes('..')) {
      throw new Error(`sandbox file name ${JSON.stringify(name)} must be relative and stay inside the sandbox`);
    }
    const body = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const header = new Header({
      path: name,
      mode: name.endsWith('.sh') ? 0o755 : 0o644,
      size: body.length,
      mtime: new Date(0),
      type: 'File',
      uid: 0,
      gid: 0,
    });
    header.encode();
    if (header.needPax || !header.block) throw new Error(`sandbox file name ${JSON.stringify(name)} is too long for a ustar header`);
    blocks.push(header.block);
    blocks.push(body);
    const padding = (BLOCK - (body.length % BLOCK)) % BLOCK;
    if (padding > 0) blocks.push(Buffer.alloc(padding));
  }
  blocks.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(blocks);
}

/** buildTar, zstd-compressed: the format DiracX clients upload. */
export function buildTarZst(files: Record<string, string | Buffer>): SandboxArchive {
  const data = zstdCompressSync(buildTar(files));
  return { data, sha256: createHash('sha256').update(data).digest('hex'), size: data.length };
}
