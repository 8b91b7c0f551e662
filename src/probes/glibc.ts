import { join } from 'node:path';
import { readElfSection } from './elf.js';
import { openFileNow } from './fs-async.js';
import type { NodeSource } from './source.js';
import type { Warnings } from './warnings.js';

/** Where distributions keep libc.so.6, multiarch directories included. */
const LIB_DIRS = [
  '/lib64',
  '/usr/lib64',
  '/lib/x86_64-linux-gnu',
  '/usr/lib/x86_64-linux-gnu',
  '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu',
  '/lib/powerpc64le-linux-gnu',
  '/usr/lib/powerpc64le-linux-gnu',
  '/lib',
  '/usr/lib',
];

/** `ldd --version` first line: `ldd (Debian GLIBC 2.36-9+deb12u14) 2.36` → 2.36. */
export function glibcFromLddOutput(text: string): string | null {
  const first = text.split('\n')[0] ?? '';
  const match = /(\d+\.\d+)\s*$/.exec(first.trim());
  return match && /glibc|gnu libc|ldd/i.test(first) ? (match[1] ?? null) : null;
}

/** The banner compiled into libc.so.6: `GNU C Library (...) stable release version 2.36.` */
export function glibcFromLibcBytes(bytes: Buffer): string | null {
  const at = bytes.indexOf('GNU C Library');
  if (at < 0) return null;
  const banner = bytes.toString('latin1', at, at + 200);
  const match = /release version (\d+\.\d+)/.exec(banner);
  return match ? (match[1] ?? null) : null;
}

function newer(a: string | null, b: string): string {
  if (a === null) return b;
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return bmaj > amaj || (bmaj === amaj && bmin > amin) ? b : a;
}

type ReportSettings = { excludeNetwork?: boolean; excludeEnv?: boolean };

/**
 * The glibc this process runs on, from the diagnostic report header. The report also walks
 * network interfaces and the environment; those parts are switched off for the call (and the
 * settings restored) since only the header is wanted.
 */
function runtimeGlibc(): string | null {
  const report = process.report as (typeof process.report & ReportSettings) | undefined;
  if (!report) return null;
  const saved: ReportSettings = { excludeNetwork: report.excludeNetwork, excludeEnv: report.excludeEnv };
  try {
    report.excludeNetwork = true;
    if ('excludeEnv' in report) report.excludeEnv = true;
    const header = (report.getReport() as { header?: { glibcVersionRuntime?: string } }).header;
    return header?.glibcVersionRuntime ?? null;
  } catch {
    return null;
  } finally {
    report.excludeNetwork = saved.excludeNetwork ?? false;
    if ('excludeEnv' in report) report.excludeEnv = saved.excludeEnv ?? false;
  }
}

/**
 * The libc this process has mapped (from /proc/self/maps): `libc-2.28.so` names its version;
 * newer ones carry it in the banner in `.rodata`, read without loading the whole library.
 * Cheaper than the diagnostic report, which stays the fallback.
 */
async function mappedLibcVersion(source: NodeSource): Promise<string | null> {
  const maps = await source.readText('/proc/self/maps');
  const libc = maps ? /\s(\/\S*\/libc(?:-(\d+\.\d+))?\.so(?:\.6)?)\s*$/m.exec(maps) : null;
  if (!libc) return null;
  if (libc[2]) return libc[2];
  // Read synchronously: this process runs from that file, so it is there and answering.
  const rodata = await readElfSection(libc[1] as string, '.rodata', undefined, openFileNow);
  return rodata ? glibcFromLibcBytes(rodata) : null;
}

/**
 * The node's glibc version without running ldd: on the live node the runtime already knows it
 * (process.report's glibcVersionRuntime); on a sysroot, old glibc names its file
 * `libc-2.28.so`, and newer ones carry the version in their banner. A capture may hold glibc.txt.
 */
export async function readGlibc(source: NodeSource, warnings: Warnings): Promise<string | null> {
  if (source.layout === 'live') {
    const version = (await mappedLibcVersion(source)) ?? runtimeGlibc();
    if (version) return version;
  } else {
    const captured = await source.captured('glibc.txt');
    if (captured !== null) {
      const version = glibcFromLddOutput(captured) ?? /(\d+\.\d+)/.exec(captured)?.[1] ?? null;
      if (version) return version;
      warnings.add('glibc', `glibc.txt is not ldd --version output: ${JSON.stringify(captured.trim().slice(0, 60))}`);
    }
  }
  const listings = await Promise.all(LIB_DIRS.map(async (dir) => [dir, await source.listDir(dir)] as const));
  let fromNames: string | null = null;
  for (const [, entries] of listings) {
    for (const entry of entries ?? []) {
      const match = /^libc-(\d+\.\d+)\.so$/.exec(entry);
      if (match) fromNames = newer(fromNames, match[1] as string);
    }
  }
  if (fromNames) return fromNames;
  for (const [dir, entries] of listings) {
    if (!entries?.includes('libc.so.6')) continue;
    const bytes =
      (source.layout === 'tree' ? await readElfSection(join(source.root, dir, 'libc.so.6'), '.rodata') : null) ??
      (await source.readBytes(`${dir}/libc.so.6`, 16 * 1024 * 1024));
    const version = bytes ? glibcFromLibcBytes(bytes) : null;
    if (version) return version;
  }
  warnings.add('glibc', 'no glibc found (musl or a capture without libc); platform lacks the glibc part');
  return null;
}
