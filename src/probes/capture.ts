import { posix } from 'node:path';

/**
 * The flat capture layout (tests/fixtures/nodes/*): the files a probe needs, copied out of a
 * node under flat names, plus shell transcripts (`set -x` output) of a few directories.
 * This module turns such a directory into a virtual tree of absolute Linux paths, so the
 * probes read it exactly as they read a live node.
 */
export interface VirtualFiles {
  files: Map<string, string>;
  dirs: Map<string, Set<string>>;
}

/** Flat file name → the path it was copied from. */
const FLAT_FILES: ReadonlyArray<[string, string]> = [
  ['proc_cpuinfo', '/proc/cpuinfo'],
  ['proc_meminfo', '/proc/meminfo'],
  ['os-release', '/etc/os-release'],
  ['cpu_online.txt', '/sys/devices/system/cpu/online'],
  ['userns.txt', '/proc/sys/user/max_user_namespaces'],
  ['proc_driver_nvidia_version', '/proc/driver/nvidia/version'],
  ['proc_self_cgroup', '/proc/self/cgroup'],
];

function addFile(tree: VirtualFiles, file: string, content: string): void {
  tree.files.set(file, content);
  let child = file;
  let parent = posix.dirname(child);
  while (child !== '/') {
    let entries = tree.dirs.get(parent);
    if (!entries) {
      entries = new Set();
      tree.dirs.set(parent, entries);
    }
    entries.add(posix.basename(child));
    child = parent;
    parent = posix.dirname(child);
  }
}

function addDir(tree: VirtualFiles, dir: string): void {
  if (!tree.dirs.has(dir)) tree.dirs.set(dir, new Set());
  if (dir !== '/') {
    const parent = posix.dirname(dir);
    addDir(tree, parent);
    tree.dirs.get(parent)?.add(posix.basename(dir));
  }
}

const CAT_ERROR = /^cat: (\S+): /;

/**
 * cgroup.txt: `/proc/self/cgroup` lines, then either `name: value` lines or a `+ cat f1 f2 ...`
 * transcript (values in order, `cat: f: No such file` for the missing ones), then an
 * `+ ls /sys/fs/cgroup` listing.
 */
export function parseCgroupTranscript(text: string, tree: VirtualFiles): void {
  const lines = text.split('\n');
  const selfCgroup: string[] = [];
  let pendingCat: string[] = [];
  let listingDir: string | null = null;
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (/^\d+:[^:]*:\//.test(line)) {
      selfCgroup.push(line);
      continue;
    }
    if (line.startsWith('+ ')) {
      const cat = /^\+ cat (.+)$/.exec(line);
      const ls = /^\+ ls (\S+)/.exec(line);
      if (cat) {
        pendingCat = (cat[1] ?? '').split(/\s+/);
        listingDir = null;
      } else if (ls) {
        listingDir = ls[1] ?? null;
        pendingCat = [];
      }
      continue;
    }
    if (line === '---' || line === '') continue;
    const named = /^([\w.]+): (.*)$/.exec(line);
    if (named && !line.startsWith('cat:')) {
      const value = named[2] ?? '';
      if (!value.startsWith('cat:')) addFile(tree, `/sys/fs/cgroup/${named[1]}`, `${value}\n`);
      continue;
    }
    if (pendingCat.length > 0) {
      const missing = CAT_ERROR.exec(line);
      if (missing) {
        pendingCat = pendingCat.filter((file) => file !== missing[1]);
        continue;
      }
      const file = pendingCat.shift() as string;
      addFile(tree, file, `${line}\n`);
      continue;
    }
    if (listingDir && /^[\w.:-]+$/.test(line)) {
      const entry = posix.join(listingDir, line);
      if (!tree.files.has(entry)) {
        // Names with a dot are cgroup interface files; the rest are child cgroups.
        if (line.includes('.')) addFile(tree, entry, '');
        else addDir(tree, entry);
      }
    }
  }
  if (selfCgroup.length > 0) addFile(tree, '/proc/self/cgroup', `${selfCgroup.join('\n')}\n`);
}

/** proc_driver_nvidia_gpus.txt: the directory listing, then `+ cat .../information` blocks. */
export function parseNvidiaGpusTranscript(text: string, tree: VirtualFiles): void {
  let current: string | null = null;
  let body: string[] = [];
  const flush = (): void => {
    if (current) addFile(tree, current, `${body.join('\n').replace(/\n+$/, '')}\n`);
    current = null;
    body = [];
  };
  for (const line of text.split('\n')) {
    const cat = /^\+ cat (\/proc\/driver\/nvidia\/gpus\/[^/\s]+\/information)/.exec(line);
    if (cat) {
      flush();
      current = cat[1] ?? null;
      continue;
    }
    if (line.startsWith('+ ')) {
      flush();
      continue;
    }
    if (current) body.push(line);
    else if (/^[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.\d$/.test(line.trim())) {
      addDir(tree, `/proc/driver/nvidia/gpus/${line.trim()}`);
    }
  }
  flush();
}

/** cvmfs.txt: `ls /cvmfs` output; an `ls: cannot access` line means no /cvmfs at all. */
export function parseCvmfsListing(text: string, tree: VirtualFiles): void {
  if (/cannot access|No such file/.test(text)) return;
  for (const line of text.split('\n')) {
    const name = line.trim();
    if (/^[\w.-]+$/.test(name)) addDir(tree, `/cvmfs/${name}`);
  }
}

export async function buildFlatCapture(read: (name: string) => Promise<string | null>): Promise<VirtualFiles> {
  const tree: VirtualFiles = { files: new Map(), dirs: new Map() };
  const [plain, cgroup, nvidiaGpus, cvmfs] = await Promise.all([
    Promise.all(FLAT_FILES.map(async ([name, target]) => [target, await read(name)] as const)),
    read('cgroup.txt'),
    read('proc_driver_nvidia_gpus.txt'),
    read('cvmfs.txt'),
  ]);
  for (const [target, content] of plain) if (content !== null) addFile(tree, target, content);
  if (cgroup !== null) parseCgroupTranscript(cgroup, tree);
  if (nvidiaGpus !== null) parseNvidiaGpusTranscript(nvidiaGpus, tree);
  if (cvmfs !== null) parseCvmfsListing(cvmfs, tree);
  return tree;
}
