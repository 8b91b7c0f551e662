import { execFileSync } from 'node:child_process';
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
 * a missing toolchain is a reason, a compile error is a failure.
 */
export function ensurePrebuilds(archs: Array<'x64' | 'arm64'> = ['x64']): string | null {
  const compiler = (arch: string) => (arch === 'arm64' ? 'aarch64-linux-gnu-gcc' : 'cc');
  for (const arch of archs) {
    try {
      execFileSync('sh', ['-c', `command -v ${compiler(arch)}`], { stdio: 'ignore' });
    } catch {
      return `${compiler(arch)} is not installed (see .ci/apt-packages.txt)`;
    }
  }
  execFileSync('bash', [path.join(repoRoot, 'scripts/build-native.sh'), ...archs], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 180_000,
  });
  for (const arch of archs) {
    if (!existsSync(prebuildPath(arch))) throw new Error(`build-native.sh did not produce ${prebuildPath(arch)}`);
  }
  return null;
}
