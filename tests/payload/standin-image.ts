import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const STANDIN = fileURLToPath(new URL('../fixtures/apptainer-standin/apptainer', import.meta.url));

/** Why the stand-in cannot run here (no bwrap, or namespaces refused), or null when it can. */
export function standinUnavailable(): string | null {
  try {
    execFileSync('bwrap', ['--unshare-user', '--unshare-pid', '--ro-bind', '/', '/', '--proc', '/proc', 'true'], {
      stdio: 'ignore',
      timeout: 10_000,
    });
    return null;
  } catch (error) {
    return `bubblewrap unusable (${String(error).split('\n')[0]}); install Debian package bubblewrap (.ci/apt-packages.txt)`;
  }
}

/**
 * A sandbox-directory "image": the usual merged-/usr symlinks, a small /etc, and the host's /usr
 * borrowed read-only through the stand-in's `.standin-host-usr` switch.
 */
export function buildStandinImage(dir: string): string {
  mkdirSync(path.join(dir, 'etc'), { recursive: true });
  for (const name of ['home', 'cvmfs']) mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, '.standin-host-usr'), '');
  for (const [link, target] of [
    ['bin', 'usr/bin'],
    ['sbin', 'usr/sbin'],
    ['lib', 'usr/lib'],
    ['lib64', 'usr/lib64'],
  ] as const) {
    if (existsSync(path.join('/', target))) symlinkSync(target, path.join(dir, link));
  }
  for (const file of ['passwd', 'group', 'hosts', 'ld.so.cache']) {
    if (existsSync(`/etc/${file}`)) copyFileSync(`/etc/${file}`, path.join(dir, 'etc', file));
  }
  return dir;
}
