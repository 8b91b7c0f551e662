import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { execaSync } from 'execa';
import type { Logger } from '../../pilot/logger.js';
import type { LaunchPlan } from './types.js';

/*
 * Hiding the pilot's credential files from a payload that runs as the pilot's own uid, without
 * privileges, with unprivileged user namespaces (util-linux `unshare`):
 *
 *  level 1  `unshare --user --map-root-user --mount --pid --fork --kill-child --mount-proc`
 *           runs HIDE_SCRIPT as pid 1 of a new pid namespace, root of a new user namespace, with a
 *           private copy of the mounts and a /proc that shows only this payload's processes. For
 *           each directory holding a credential it mounts an empty read-only tmpfs over the
 *           directory and binds back every other entry (so the job directory and anything else
 *           there stays where it was). The directory, not the file, is covered: the pilot replaces
 *           its credentials file by rename when it refreshes tokens, and a rename over a mount
 *           point in another namespace silently detaches the mount (Linux >= 3.18).
 *  level 2  `unshare --user --map-user=<uid> --map-group=<gid> --mount` then runs the payload as
 *           the pilot's uid again, in a nested user namespace. The mounts it copies from level 1
 *           come from a more privileged namespace, so the kernel locks them: even with every
 *           capability in its own namespace the payload cannot unmount the tmpfs, move it or
 *           remount it writable. It has no capability in level 1 (so it cannot ptrace the level-1
 *           shell either), and its /proc holds neither the pilot nor any other process of the
 *           pilot's uid, so /proc/<pid>/root of a same-uid process on the host is out of reach too.
 *
 * What changes for the payload: it is pid 2 of its own pid namespace under a shell that waits for
 * it; a payload killed by a signal reports exit code 128+n (pid 1 cannot re-raise the signal);
 * processes it leaves running when it exits are killed by the kernel when the namespace ends.
 */
const HIDE_SCRIPT = `# Written by the DIRAC pilot: hides the pilot's credential files, then runs the payload.
# $1 cwd  $2 uid  $3 gid  $4 unshare  $5 number of directories; per directory: dir, n, n names;
# then the payload's argv. Nothing here is data spliced into the text.
cwd=$1 uid=$2 gid=$3 unshare=$4 dirs=$5
shift 5
if [ -n "\${PATH+x}" ]; then saved_path=$PATH; fi
PATH=/usr/sbin:/usr/bin:/sbin:/bin
fail() { echo "pilot: could not hide the pilot's credentials: $*" >&2; exit 126; }
while [ "$dirs" -gt 0 ]; do
  dir=$1 n=$2
  shift 2
  exec 3<"$dir" || fail "cannot open $dir"
  mode=$(stat -L -c %a /proc/self/fd/3) || fail "cannot stat $dir"
  mount -t tmpfs -o size=64k,nosuid,nodev,mode="$mode" pilot-hidden "$dir" || fail "cannot mount over $dir"
  for src in /proc/self/fd/3/* /proc/self/fd/3/.[!.]* /proc/self/fd/3/..?*; do
    [ -e "$src" ] || [ -L "$src" ] || continue
    entry=\${src#/proc/self/fd/3/}
    hidden=0 i=0
    for name in "$@"; do
      [ "$i" -lt "$n" ] || break
      i=$((i + 1))
      case $entry in "$name" | ".$name".*.tmp) hidden=1 ;; esac
    done
    [ "$hidden" = 0 ] || continue
    target=$dir/$entry
    if [ -L "$src" ]; then
      ln -s "$(readlink "$src")" "$target" || fail "cannot recreate $target"
    elif [ -d "$src" ]; then
      mkdir "$target" && mount --no-canonicalize --rbind "$src" "$target" || fail "cannot bind $target"
    else
      : > "$target" && mount --no-canonicalize --bind "$src" "$target" || fail "cannot bind $target"
    fi
  done
  exec 3<&-
  mount -o remount,bind,ro "$dir" || fail "cannot make $dir read-only"
  shift "$n"
  dirs=$((dirs - 1))
done
if [ -n "\${saved_path+x}" ]; then PATH=$saved_path; else unset PATH; fi
cd "$cwd" || fail "cannot enter $cwd"
"$unshare" --user --map-user="$uid" --map-group="$gid" --mount -- "$@"
`;

/** Above this many entries beside a credential, binding each back costs too much per payload: not hidden. */
export const MAX_ENTRIES_BESIDE_SECRET = 256;

export interface HiddenDirectory {
  dir: string;
  /** Entry names in `dir` the payload must not see (their atomic-write temporaries too). */
  names: string[];
}

export type HidingPlan = { ok: true; dirs: HiddenDirectory[] } | { ok: false; reason: string };

/** The directories to cover, shallowest first (a nested one is covered after its parent was rebuilt). */
export function planHiding(files: readonly string[]): HidingPlan {
  const byDir = new Map<string, Set<string>>();
  for (const file of files) {
    const real = safeRealpath(file);
    const dir = path.dirname(real);
    if (dir === '/' ) return { ok: false, reason: `${real} lies in / (the root cannot be covered)` };
    if (!isDirectory(dir)) continue; // nothing there to read
    let count: number;
    try {
      count = readdirSync(dir).length;
    } catch (error) {
      return { ok: false, reason: `cannot list ${dir}: ${(error as Error).message}` };
    }
    if (count > MAX_ENTRIES_BESIDE_SECRET) return { ok: false, reason: `${dir} holds ${count} entries (more than ${MAX_ENTRIES_BESIDE_SECRET})` };
    const names = byDir.get(dir) ?? new Set<string>();
    names.add(path.basename(real));
    byDir.set(dir, names);
  }
  const dirs = [...byDir].map(([dir, names]) => ({ dir, names: [...names] })).sort((a, b) => a.dir.split('/').length - b.dir.split('/').length);
  return { ok: true, dirs };
}

/** Wraps a direct-runner plan so the payload starts in the namespaces described above. */
export function wrapHidingSecrets(plan: LaunchPlan, dirs: readonly HiddenDirectory[], unshare: string, ids = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }): LaunchPlan {
  const dirArgs = dirs.flatMap((d) => [d.dir, String(d.names.length), ...d.names]);
  return {
    ...plan,
    file: unshare,
    args: [
      '--user', '--map-root-user', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--',
      '/bin/sh', '-c', HIDE_SCRIPT, 'pilot-hide-secrets',
      plan.cwd, String(ids.uid), String(ids.gid), unshare, String(dirs.length), ...dirArgs,
      plan.file, ...plan.args,
    ],
  };
}

export function findUnshare(searchPath: string | undefined = process.env.PATH): string | null {
  for (const dir of [...(searchPath ?? '').split(':').filter(Boolean), '/usr/bin', '/bin']) {
    const candidate = path.join(dir, 'unshare');
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

export type NamespaceSupport = { ok: true; unshare: string } | { ok: false; reason: string };

let cachedSupport: NamespaceSupport | undefined;

/**
 * Whether this node lets us build the level-1 namespaces (unprivileged user namespaces allowed,
 * a util-linux unshare with --map-user, /proc mountable in a new pid namespace): tried once for
 * real, since sysctls, seccomp filters and container runtimes all have a say.
 */
export function namespaceSupport(): NamespaceSupport {
  cachedSupport ??= probeNamespaces();
  return cachedSupport;
}

function probeNamespaces(): NamespaceSupport {
  const unshare = findUnshare();
  if (!unshare) return { ok: false, reason: 'util-linux unshare not found' };
  try {
    const result = execaSync(
      unshare,
      ['--user', '--map-root-user', '--mount', '--pid', '--fork', '--kill-child', '--mount-proc', '--', unshare, '--user', `--map-user=${process.getuid?.() ?? 0}`, `--map-group=${process.getgid?.() ?? 0}`, '--mount', '--', '/bin/true'],
      { timeout: 10_000, reject: false, stdin: 'ignore', extendEnv: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
    );
    if (result.exitCode === 0) return { ok: true, unshare };
    const detail = String(result.stderr ?? '').trim().split('\n')[0] || `exit ${result.exitCode ?? result.signal ?? 'unknown'}`;
    return { ok: false, reason: `user namespaces unavailable: ${detail}` };
  } catch (error) {
    return { ok: false, reason: `user namespaces unavailable: ${(error as Error).message.split('\n')[0]}` };
  }
}

/** Tests: forget the cached probe. */
export function resetNamespaceSupport(): void {
  cachedSupport = undefined;
}

let noticeGiven = false;

/**
 * The direct runner's plan with the credentials hidden when they can be; otherwise the plan as it
 * was, and one warning per pilot saying why the payload can read them.
 */
export function hideSecretsFromPayload(plan: LaunchPlan, secret: { files: string[]; disabled?: string }, logger: Logger): LaunchPlan {
  if (secret.files.length === 0) return plan;
  const why = (): string | null => {
    if (secret.disabled) return secret.disabled;
    const support = namespaceSupport();
    if (!support.ok) return support.reason;
    return null;
  };
  const reason = why();
  if (reason === null) {
    const hiding = planHiding(secret.files);
    if (hiding.ok) return hiding.dirs.length > 0 ? wrapHidingSecrets(plan, hiding.dirs, (namespaceSupport() as { unshare: string }).unshare) : plan;
    notice(logger, hiding.reason);
    return plan;
  }
  notice(logger, reason);
  return plan;
}

function notice(logger: Logger, reason: string): void {
  if (noticeGiven) return;
  noticeGiven = true;
  logger.warn({ reason }, 'credentials not hidden from payloads: a payload running as the pilot’s user can read the pilot’s credential files');
}

/** Tests: let the once-per-pilot notice be given again. */
export function resetHidingNotice(): void {
  noticeGiven = false;
}

function safeRealpath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    // Not there (yet): hide the name where it would appear, in its parent as it really is.
    try {
      return path.join(realpathSync(path.dirname(file)), path.basename(file));
    } catch {
      return path.resolve(file);
    }
  }
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
