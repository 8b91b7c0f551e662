import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256File, sha256FromPfn, verifySha256 } from './checksum.js';

describe('sha256 of sandboxes', () => {
  it('verifies a file against a digest in either case, and refuses a different or malformed one', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sha-'));
    try {
      const file = path.join(dir, 'f');
      writeFileSync(file, 'abc');
      const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
      expect(await sha256File(file)).toBe(abc);
      await expect(verifySha256(file, abc.toUpperCase())).resolves.toBeUndefined();
      await expect(verifySha256(file, '0'.repeat(64))).rejects.toMatchObject({ reason: 'checksum' });
      await expect(verifySha256(file, 'md5:abc')).rejects.toThrow(/is not a sha256 hex digest/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the digest out of DiracX PFNs, not out of legacy ones', () => {
    const hex = 'a'.repeat(64);
    expect(sha256FromPfn(`SB:SandboxSE|/S3/diracx-sandbox-store/lhcb/lhcb_user/alice/sha256:${hex}.tar.zst`)).toBe(hex);
    expect(sha256FromPfn(`SB:SandboxSE|/S3/b/vo/g/u/sha256:${hex.toUpperCase()}.tar.bz2#inputs/x.txt`)).toBe(hex);
    expect(sha256FromPfn('SB:FedericoSandboxSE|/SandBox/f/fstagni.lhcb_user/0c2/9f5/0c29f53a47d051742346b744c793d4d0.tar.bz2')).toBeNull();
  });
});
