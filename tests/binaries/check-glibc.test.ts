import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './build-executables.js';

const script = path.join(repoRoot, 'scripts/pilot-check-glibc.sh');

/** Runs the check with another node's values, under a strict POSIX shell (dash when present). */
function check(env: Record<string, string>) {
  return execa('sh', [script], { env, reject: false, timeout: 10_000 });
}

describe('scripts/pilot-check-glibc.sh', () => {
  it('accepts this node (Debian 12: glibc 2.36)', async () => {
    const result = await execa('sh', [script], { reject: false, timeout: 10_000 });
    expect(result.stdout).toMatch(/^ok {3}glibc \d+\.\d+ >= 2\.28$/m);
    expect(result.stdout).toMatch(/verdict: this node can run the pilot executable$/);
    expect(result.exitCode).toBe(0);
  });

  it('refuses an EL7 node on glibc, warns on its kernel, in one line each', async () => {
    const result = await check({ GLIBC_VERSION: '2.17', KERNEL_RELEASE: '3.10.0-1160.el7.x86_64', ARCH: 'x86_64' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('FAIL glibc 2.17 < 2.28');
    expect(result.stdout).toContain("warn kernel 3.10.0-1160.el7.x86_64 < 4.18: below Node 22's supported minimum");
    expect(result.stdout).toMatch(/verdict: this node cannot run the pilot executable \(1 problem\(s\) above\)$/);
  });

  it('accepts the exact minimum (EL8 on aarch64) and compares versions numerically', async () => {
    const el8 = await check({ GLIBC_VERSION: '2.28', KERNEL_RELEASE: '4.18.0-553.el8_10.aarch64', ARCH: 'aarch64' });
    expect(el8.exitCode).toBe(0);
    expect(el8.stdout).toContain('use pilot-linux-arm64');
    // 2.3 is older than 2.28 although "2.3" > "2.28" as strings.
    expect((await check({ GLIBC_VERSION: '2.3', KERNEL_RELEASE: '5.14', ARCH: 'x86_64' })).exitCode).toBe(1);
  });

  it('refuses architectures without an executable', async () => {
    const result = await check({ GLIBC_VERSION: '2.34', KERNEL_RELEASE: '5.14', ARCH: 'ppc64le' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('FAIL architecture ppc64le: no pilot executable');
  });
});
