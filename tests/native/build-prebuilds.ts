import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const nativeDir = path.join(repoRoot, 'native');

export function prebuildPath(arch: 'x64' | 'arm64'): string {
  return path.join(nativeDir, 'prebuilds', `linux-${arch}`, 'pilot_native.node');
}

/**
 * Builds the prebuilds when missing or stale (scripts/build-native.sh is idempotent and
 * serialised by a lock). Returns null on success, else why the native tests must skip: only
 * a missing toolchain is a reason, a compile error is a failure. Asynchronous: a build that blocked
 * the test worker for a minute on a loaded machine made vitest's worker RPC time out ("Timeout
 * calling onTaskUpdate"), an error that fails the whole run.
 */
export async function ensurePrebuilds(archs: Array<'x64' | 'arm64'> = ['x64']): Promise<string | null> {
  const compiler = (arch: string) => (arch === 'arm64' ? 'aarch64-linux-gnu-gcc' : 'cc');
  for (const arch of archs) {
    try {
      execFileSync('sh', ['-c', `command -v ${compiler(arch)}`], { stdio: 'ignore' });
    } catch {
      return `${compiler(arch)} is not installed (see .ci/apt-packages.txt)`;
    }
  }
  try {
    await promisify(execFile)('bash', [path.join(repoRoot, 'scripts/build-native.sh'), ...archs], { cwd: repoRoot, timeout: 180_000 });
  } catch (error) {
    throw new Error(`build-native.sh failed: ${(error as { stderr?: string }).stderr ?? String(error)}`);
  }
  for (const arch of archs) {
    if (!existsSync(prebuildPath(arch))) throw new Error(`build-native.sh did not produce ${prebuildPath(arch)}`);
  }
  return null;
}
