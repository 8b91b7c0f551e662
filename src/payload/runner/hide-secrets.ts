import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execaSync } from 'execa';
import type { Logger } from '../../core/logger.js';
import { PAYLOAD_MARKER_ENV, type LaunchPlan } from './types.js';

/*
 * Hiding the pilot's credential files from a payload that runs as the pilot's own uid, without
 * privileges, with unprivileged user namespaces (util-linux `unshare` and `nsenter`). The view
 * is built once per pilot, by a holder process; each payload then only enters it.
 *
 *  holder   `unshare --user --map-root-user --mount` runs HOLDER_SCRIPT as root of a new user
 *           namespace with a private copy of the mounts. For each directory holding a credential
 *           it mounts an empty read-only tmpfs over the directory and binds back every other entry
 *           (so the job directories and anything else there stay where they were; a bound-back
 *           directory shows its live contents). The directory, not the file, is covered: the pilot
 *           replaces its credentials file by rename when it refreshes tokens, and a rename over a
 *           mount point in another namespace silently detaches the mount (Linux >= 3.18). The
 *           holder then says `ready` and waits on its stdin, which closes when the pilot exits.
 *  payload  `nsenter --target <holder> --user --mount --preserve-credentials --wd <job dir>` enters
 *           the holder's namespaces (the pilot owns that user namespace, so it may, and there its
 *           uid is root), then `unshare --user --map-user=<uid> --map-group=<gid> --mount --pid
 *           --fork --kill-child --mount-proc` makes a nested user namespace where the pilot's uid is
 *           itself again, with a pid namespace of its own and a shell as pid 1 that runs the payload
 *           and returns its status. The mounts the payload's namespace copies come from a more
 *           privileged one, so the kernel locks them: even with every capability in its own
 *           namespace it cannot unmount the tmpfs, move it or remount it writable. It has no
 *           capability in the holder's namespace, and its /proc holds neither the pilot, nor the
 *           holder, nor any other process of the pilot's uid, so /proc/<pid>/root of a same-uid
 *           process is out of reach too.
 *
 * What changes for the payload: it is pid 2 of its own pid namespace under a shell that waits for
 * it; a payload killed by a signal reports exit code 128+n (pid 1 cannot re-raise the signal);
 * processes it leaves running when it exits are killed by the kernel when the namespace ends; an
 * entry created beside a credential after the pilot's first payload started is not in its view.
 * Per payload this costs two short execs (nsenter, unshare) and a shell, a few milliseconds;
 * building the view once, at the first payload, costs tens (docs/payload.md).
 */
const HOLDER_SCRIPT = `# Written by the DIRAC pilot: hides the pilot's credential files, then holds the view.
# $1 number of directories; per directory: dir, n, n names. Nothing here is data spliced into the text.
dirs=$1
shift
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
cd /
echo ready
read -r _
`;

/**
 * Run as root of the holder's user namespace, in a mount namespace made for this payload alone:
 * covers each area shared by all the pilot's jobs (the jobs directory, the per-job tokens
 * directory) with a small empty tmpfs (the payload's alone: what it writes there nobody else
 * sees, and it ends with the payload), binds back only this job's entry, enters the job
 * directory through the new view (the old working directory would lead back to the covered one
 * through ".."), then execs the rest of its arguments. The nested user namespace the payload gets
 * next locks these mounts as it locks the holder's.
 */
const JOB_VIEW_SCRIPT = `# Written by the DIRAC pilot: this job's own view of the pilot's shared directories.
# $1 job directory, $2 number of areas; per area: directory, the one entry kept. Then the command.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
fail() { echo "pilot: could not hide the other jobs from this payload: $*" >&2; exit 126; }
job=$1 areas=$2
shift 2
while [ "$areas" -gt 0 ]; do
  dir=$1 keep=$2
  shift 2
  areas=$((areas - 1))
  exec 3<"$dir" || fail "cannot open $dir"
  # 0700 as the pilot makes both directories; small, and private to this payload's namespace.
  mount -t tmpfs -o size=16k,nr_inodes=64,nosuid,nodev,mode=0700 pilot-private "$dir" || fail "cannot mount over $dir"
  src=/proc/self/fd/3/$keep
  if [ -L "$src" ]; then :
  elif [ -d "$src" ]; then
    mkdir "$dir/$keep" && mount --no-canonicalize --rbind "$src" "$dir/$keep" || fail "cannot bind $dir/$keep"
  elif [ -f "$src" ]; then
    : > "$dir/$keep" && mount --no-canonicalize --bind "$src" "$dir/$keep" || fail "cannot bind $dir/$keep"
  fi
  exec 3<&-
done
cd "$job" || fail "cannot enter $job"
exec "$@"
`;

/**
 * pid 1 of the payload's pid namespace: takes the payload's environment from the file the pilot
 * wrote (the helpers before it, which run partly outside the namespaces, start with a fixed
 * environment: a job's LD_PRELOAD must not load its code into nsenter or unshare), removes the
 * file, runs the payload and returns its status.
 */
const PAYLOAD_INIT = 'unset PATH; . "$1" || exit 127; rm -f "$1"; shift; "$@"; exit $?';

/** The file the payload's environment travels in, inside the job directory (0600, removed at start). */
export const PAYLOAD_ENV_FILE = '.dirac-payload-env';

/** The environment of the helpers (nsenter, unshare, the shells): nothing of the job's. */
const HELPER_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** A directory every job of the pilot has an entry in, of which a payload sees only its own. */
export interface PrivateArea {
  dir: string;
  /** The entry of this job (its job directory, its token file). */
  keep: string;
}

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
    if (dir === '/') return { ok: false, reason: `${real} lies in / (the root cannot be covered)` };
    if (!isDirectory(dir)) continue; // nothing there to read
    let count: number;
    try {
      count = readdirSync(dir).length;
    } catch (error) {
      return { ok: false, reason: `cannot list ${dir}: ${(error as Error).message}` };
    }
    if (count > MAX_ENTRIES_BESIDE_SECRET)
      return { ok: false, reason: `${dir} holds ${count} entries (more than ${MAX_ENTRIES_BESIDE_SECRET})` };
    const names = byDir.get(dir) ?? new Set<string>();
    names.add(path.basename(real));
    byDir.set(dir, names);
  }
  const dirs = [...byDir]
    .map(([dir, names]) => ({ dir, names: [...names] }))
    .sort((a, b) => a.dir.split('/').length - b.dir.split('/').length);
  return { ok: true, dirs };
}

export interface HiddenView {
  /** Host pid of the holder, whose namespaces a payload enters. */
  pid: number;
  nsenter: string;
  unshare: string;
}

/**
 * Wraps a direct-runner plan so the payload starts inside `view`, with its own view of the shared
 * `areas`, in a pid namespace of its own. The helpers get only PATH and the payload marker (so
 * the process tree finds them); the payload's environment comes from `envFile` (writeEnvFile).
 */
export function wrapHidingSecrets(
  plan: LaunchPlan,
  view: HiddenView,
  ids = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  areas: readonly PrivateArea[] = [],
  envFile = path.join(plan.cwd, PAYLOAD_ENV_FILE),
): LaunchPlan {
  const marker = plan.env[PAYLOAD_MARKER_ENV];
  return {
    ...plan,
    env: { PATH: HELPER_PATH, ...(marker !== undefined ? { [PAYLOAD_MARKER_ENV]: marker } : {}) },
    file: view.nsenter,
    args: [
      `--target=${view.pid}`,
      '--user',
      '--mount',
      '--preserve-credentials',
      `--wd=${plan.cwd}`,
      '--',
      view.unshare,
      '--mount',
      '--',
      '/bin/sh',
      '-c',
      JOB_VIEW_SCRIPT,
      'pilot-job-view',
      plan.cwd,
      String(areas.length),
      ...areas.flatMap((a) => [a.dir, a.keep]),
      view.unshare,
      '--user',
      `--map-user=${ids.uid}`,
      `--map-group=${ids.gid}`,
      '--mount',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount-proc',
      '--',
      '/bin/sh',
      '-c',
      PAYLOAD_INIT,
      'pilot-payload',
      envFile,
      plan.file,
      ...plan.args,
    ],
  };
}

/** Variable names a shell can export; others cannot reach a payload started through one. */
const SHELL_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Writes `env` as shell assignments the payload's init sources: single-quoted values (a quote
 * inside becomes '\''), so nothing in a value is ever parsed. Created anew (a name left there by
 * the sandbox, link or not, is removed first), 0600. Returns the names left out.
 */
export function writeEnvFile(file: string, env: Record<string, string>): string[] {
  const dropped: string[] = [];
  const lines: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!SHELL_NAME.test(name)) {
      dropped.push(name);
      continue;
    }
    lines.push(`export ${name}='${value.replace(/'/g, `'\\''`)}'`);
  }
  rmSync(file, { force: true, recursive: true });
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  return dropped;
}

function findTool(name: string, searchPath: string | undefined = process.env.PATH): string | null {
  for (const dir of [...(searchPath ?? '').split(':').filter(Boolean), '/usr/bin', '/bin']) {
    const candidate = path.join(dir, name);
    if (path.isAbsolute(candidate) && existsSync(candidate)) return candidate;
  }
  return null;
}

export type NamespaceSupport = { ok: true; unshare: string; nsenter: string } | { ok: false; reason: string };

let cachedSupport: NamespaceSupport | undefined;

/**
 * Whether this node lets us build the namespaces (unprivileged user namespaces allowed, a
 * util-linux unshare with --map-user and nsenter, /proc mountable in a new pid namespace): tried
 * once for real, since sysctls, seccomp filters and container runtimes all have a say.
 */
export function namespaceSupport(): NamespaceSupport {
  cachedSupport ??= probeNamespaces();
  return cachedSupport;
}

function probeNamespaces(): NamespaceSupport {
  const unshare = findTool('unshare');
  const nsenter = findTool('nsenter');
  if (!unshare || !nsenter) return { ok: false, reason: `util-linux ${unshare ? 'nsenter' : 'unshare'} not found` };
  try {
    const result = execaSync(
      unshare,
      [
        '--user',
        '--map-root-user',
        '--mount',
        '--pid',
        '--fork',
        '--kill-child',
        '--mount-proc',
        '--',
        unshare,
        '--user',
        `--map-user=${process.getuid?.() ?? 0}`,
        `--map-group=${process.getgid?.() ?? 0}`,
        '--mount',
        '--',
        '/bin/true',
      ],
      { timeout: 10_000, reject: false, stdin: 'ignore', extendEnv: false, env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } },
    );
    if (result.exitCode === 0) return { ok: true, unshare, nsenter };
    const detail =
      String(result.stderr ?? '')
        .trim()
        .split('\n')[0] || `exit ${result.exitCode ?? result.signal ?? 'unknown'}`;
    return { ok: false, reason: `user namespaces unavailable: ${detail}` };
  } catch (error) {
    return { ok: false, reason: `user namespaces unavailable: ${(error as Error).message.split('\n')[0]}` };
  }
}

interface Holder {
  child: ChildProcess;
  view: HiddenView;
}

/** One holder per set of hidden directories (a pilot has one; tests several). */
const holders = new Map<string, Holder>();

/** How long the first payload may wait for the view to be built before the pilot gives up on it. */
const HOLDER_READY_MS = 10_000;

/**
 * The view for `dirs`, built on first use. Synchronous, like starting a payload: the holder's
 * `ready` is awaited by polling the file its output goes to, once per pilot. A holder that has
 * exited is never reused (its pid may belong to another process by now): a new one is built.
 */
function hiddenView(dirs: readonly HiddenDirectory[], support: { unshare: string; nsenter: string }): HiddenView | { reason: string } {
  const key = JSON.stringify(dirs);
  const known = holders.get(key);
  if (known && known.child.exitCode === null && known.child.signalCode === null) return known.view;
  holders.delete(key);
  const scratch = mkdtempSync(path.join(tmpdir(), 'pilot-hide-'));
  const report = path.join(scratch, 'holder.out');
  const out = openSync(report, 'w', 0o600);
  let child: ChildProcess;
  try {
    const dirArgs = dirs.flatMap((d) => [d.dir, String(d.names.length), ...d.names]);
    child = spawn(
      support.unshare,
      ['--user', '--map-root-user', '--mount', '--', '/bin/sh', '-c', HOLDER_SCRIPT, 'pilot-hide-secrets', String(dirs.length), ...dirArgs],
      { stdio: ['pipe', out, out], env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, cwd: '/' },
    );
  } finally {
    closeSync(out);
  }
  // The holder must not keep a finished pilot alive; its stdin closing (the pilot gone) ends it.
  child.unref();
  (child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null)?.unref?.();
  child.on('error', () => undefined);
  const wait = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + HOLDER_READY_MS;
  let text = '';
  while (Date.now() < deadline) {
    text = readFileSync(report, 'utf8');
    if (text.startsWith('ready\n') || /pilot: could not hide/.test(text)) break;
    Atomics.wait(wait, 0, 0, 2);
  }
  rmSync(scratch, { recursive: true, force: true });
  if (!text.startsWith('ready\n') || child.pid === undefined) {
    child.kill('SIGKILL');
    return { reason: text.trim().split('\n')[0] || `the namespace holder did not answer within ${HOLDER_READY_MS / 1000} s` };
  }
  const view = { pid: child.pid, nsenter: support.nsenter, unshare: support.unshare };
  holders.set(key, { child, view });
  return view;
}

let noticeGiven = false;

/**
 * The direct runner's plan with the credentials hidden when they can be; otherwise the plan as it
 * was, and one warning per pilot saying why the payload can read them.
 */
export function hideSecretsFromPayload(
  plan: LaunchPlan,
  secret: { files: string[]; disabled?: string },
  logger: Logger,
  areas: readonly PrivateArea[] = [],
): LaunchPlan {
  if (secret.files.length === 0 && areas.length === 0) return plan;
  const why = (): string | null => {
    if (secret.disabled) return secret.disabled;
    const support = namespaceSupport();
    if (!support.ok) return support.reason;
    return null;
  };
  const reason = why();
  if (reason !== null) {
    notice(logger, reason);
    return plan;
  }
  const hiding = planHiding(secret.files);
  if (!hiding.ok) {
    notice(logger, hiding.reason);
    return plan;
  }
  if (hiding.dirs.length === 0 && areas.length === 0) return plan;
  const view = hiddenView(hiding.dirs, namespaceSupport() as { unshare: string; nsenter: string });
  if ('reason' in view) {
    notice(logger, view.reason);
    return plan;
  }
  const envFile = path.join(plan.cwd, PAYLOAD_ENV_FILE);
  const dropped = writeEnvFile(envFile, plan.env);
  if (dropped.length > 0)
    logger.warn({ names: dropped.slice(0, 20) }, 'environment variables a shell cannot export were left out of the payload environment');
  return wrapHidingSecrets(
    plan,
    view,
    undefined,
    areas.filter((a) => isDirectory(a.dir)),
    envFile,
  );
}

/**
 * Why payloads on this pilot cannot be kept from each other's files (a per-job token above all),
 * or null when they can: the direct runner needs the namespaces; hiding turned off disables it.
 */
export function payloadIsolationGap(secret: { disabled?: string }): string | null {
  if (secret.disabled) return secret.disabled;
  const support = namespaceSupport();
  return support.ok ? null : support.reason;
}

function notice(logger: Logger, reason: string): void {
  if (noticeGiven) return;
  noticeGiven = true;
  logger.warn(
    { reason },
    'credentials not hidden from payloads: a payload running as the pilot’s user can read the pilot’s credential files',
  );
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
