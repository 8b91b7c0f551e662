import { execFileSync } from 'node:child_process';

/** bzip2 through the CLI (no JS encoder); the wrapper ships files bz2+base64 as DIRAC's does. */
export function bzip2Compress(data: Buffer): Buffer {
  return execFileSync('bzip2', ['-c', '-9'], { input: data, maxBuffer: 64 * 1024 * 1024 });
}
