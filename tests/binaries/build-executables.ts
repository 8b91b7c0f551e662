import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const binDir = path.join(repoRoot, 'dist', 'bin');
export const qemuAarch64 = '/usr/bin/qemu-aarch64';
export const aarch64Sysroot = '/usr/aarch64-linux-gnu';

export function executablePath(arch: 'x64' | 'arm64'): string {
  return path.join(binDir, `pilot-linux-${arch}`);
}

function missingCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' });
    return false;
  } catch {
    return true;
  }
}

/** Why the executables cannot be built or run here, or null when they can. */
export function toolchainMissing(): string | null {
  if (process.platform !== 'linux' || process.arch !== 'x64') return 'the executables are built and tested on linux-x64 hosts';
  for (const tool of ['cc', 'strip', 'aarch64-linux-gnu-gcc', 'aarch64-linux-gnu-strip', 'openssl']) {
    if (missingCommand(tool)) return `${tool} is not installed (see .ci/apt-packages.txt)`;
  }
  if (!existsSync(qemuAarch64)) return `${qemuAarch64} is not installed (Debian qemu-user)`;
  if (!existsSync(path.join(aarch64Sysroot, 'lib', 'ld-linux-aarch64.so.1'))) return 'libc6-arm64-cross is not installed';
  return null;
}

/**
 * Builds (or reuses: the script is idempotent) both executables. When `npm test` has already
 * bundled dist/pilot.cjs it is reused, so that other test files reading it never see a
 * half-written bundle. Asynchronous: minutes of a blocked test worker on a loaded machine made
 * vitest's worker RPC time out ("Timeout calling onTaskUpdate"), which fails the whole run.
 */
export async function buildExecutables(): Promise<void> {
  const args = [path.join(repoRoot, 'scripts/build-binaries.sh')];
  if (existsSync(path.join(repoRoot, 'dist', 'pilot.cjs'))) args.push('--no-bundle');
  try {
    await promisify(execFile)('bash', args, { cwd: repoRoot, timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    throw new Error(`build-binaries.sh failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
}
