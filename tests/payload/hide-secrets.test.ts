/**
 * The direct runner hides the pilot's credential files from the payload (user + mount + pid
 * namespaces, src/payload/runner/hide-secrets.ts): the payload sees an empty read-only directory
 * where the credentials were, with everything else beside them bound back, cannot unmount or
 * remount what hides them (also not after taking every capability in a namespace of its own),
 * does not see the pilot in its /proc, and still does not see the credentials after the pilot
 * replaced the file by rename (a token refresh). Where hiding is off, one notice says so.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { namespaceSupport, resetHidingNotice } from '../../src/payload/runner/hide-secrets.js';
import type { Logger } from '../../src/core/logger.js';
import { makeJobDir, removeDir, runPayload, waitFor } from './helpers.js';

const SECRET = 'pilot-secret-0123456789abcdef';

/** Each probe prints `name: result`; the payload waits for `go` (written after the refresh) before the last read. */
const PROBE = `#!/bin/sh
cred=$1
dir=$(dirname "$cred")
echo "read: $(cat "$cred" 2>&1 | head -c 200)"
echo "beside: $(cat "$dir/beside.txt" 2>&1)"
echo "link: $(cat "$dir/link.txt" 2>&1)"
echo "list: $(ls -A "$dir" | tr '\\n' ' ')"
attempt() {
  name=$1
  shift
  if out=$("$@" 2>&1); then echo "$name: succeeded $(printf %s "$out" | tr '\\n' ' ' | head -c 200)"
  else echo "$name: refused $(printf %s "$out" | tr '\\n' ' ' | head -c 200)"; fi
}
echo "mounted: $(awk -v d="$dir" '$5 == d { for (i = 7; i < NF; i++) if ($i == "-") { print $(i + 1); break } }' /proc/self/mountinfo | tr '\\n' ' ')"
attempt write touch "$dir/new-file"
attempt umount umount "$dir"
attempt umount-lazy umount -l "$dir"
attempt remount-rw mount -o remount,rw "$dir"
attempt nested-umount unshare --user --map-root-user --mount sh -c 'umount "$1" && cat "$2"' sh "$dir" "$cred"
attempt nested-umount-lazy unshare --user --map-root-user --mount sh -c 'umount -l "$1" && cat "$2"' sh "$dir" "$cred"
echo "pilot-proc: $(ls /proc/$PILOT_PID/environ 2>&1 | head -c 200)"
echo "pids: $(ls -d /proc/[0-9]* | tr '\\n' ' ')"
while [ ! -e go ]; do sleep 0.05; done
echo "after-refresh: $(cat "$cred" 2>&1 | head -c 200)"
echo "after-refresh-list: $(ls -A "$dir" | tr '\\n' ' ')"
`;

function lineOf(output: string, name: string): string {
  const line = output.split('\n').find((l) => l.startsWith(`${name}: `));
  if (line === undefined) throw new Error(`no "${name}:" line in payload output:\n${output}`);
  return line.slice(name.length + 2);
}

function capturingLogger(): { logger: Logger; lines: () => Array<Record<string, unknown>> } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) }) as unknown as Logger;
  return { logger, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const support = namespaceSupport();
if (!support.ok) console.log(`skipping the hiding tests: ${support.reason}`);

describe.skipIf(!support.ok)('direct runner with user namespaces: the credentials are hidden', () => {
  let root: string;
  let secretDir: string;
  let cred: string;
  let jobDir: string;
  let output: string;

  beforeAll(async () => {
    root = makeJobDir('hide-secrets-');
    // The credentials lie in a directory that also holds the work directory: the usual layout.
    secretDir = path.join(root, 'pilot');
    jobDir = path.join(secretDir, 'work', 'job-1');
    mkdirSync(jobDir, { recursive: true });
    cred = path.join(secretDir, 'credentials.json');
    writeFileSync(cred, SECRET, { mode: 0o600 });
    writeFileSync(path.join(secretDir, 'beside.txt'), 'beside-content');
    symlinkSync('beside.txt', path.join(secretDir, 'link.txt'));
    writeFileSync(path.join(jobDir, 'probe.sh'), PROBE);

    const handle = runPayload(jobDir, ['/bin/sh', 'probe.sh', cred], {
      secretFiles: { files: [cred] },
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PILOT_PID: String(process.pid) },
    });
    await waitFor(() => existsSync(path.join(jobDir, 'std.out')) && readFileSync(path.join(jobDir, 'std.out'), 'utf8').includes('pids: '));
    // A token refresh: the pilot writes a sibling and renames it over the credentials file.
    const temp = path.join(secretDir, `.credentials.json.${Date.now()}.tmp`);
    writeFileSync(temp, `${SECRET}-refreshed`, { mode: 0o600 });
    renameSync(temp, cred);
    writeFileSync(path.join(jobDir, 'go'), '');
    const result = await handle.done;
    output = readFileSync(path.join(jobDir, 'std.out'), 'utf8') + readFileSync(path.join(jobDir, 'std.err'), 'utf8');
    expect(result.exitCode, output).toBe(0);
  }, 30_000);

  afterAll(() => removeDir(root));

  it('positive control: the test itself reads the secret at that path', () => {
    expect(readFileSync(cred, 'utf8')).toContain(SECRET);
  });

  it('the payload cannot read the credentials file: the directory it was in is empty of it', () => {
    expect(lineOf(output, 'read')).not.toContain(SECRET);
    expect(lineOf(output, 'read')).toMatch(/No such file/);
    expect(lineOf(output, 'list').split(' ')).not.toContain('credentials.json');
  });

  it('everything else in that directory is still there: files, symlinks, the work directory', () => {
    expect(lineOf(output, 'beside')).toBe('beside-content');
    expect(lineOf(output, 'link')).toBe('beside-content');
    expect(lineOf(output, 'list').trim().split(' ').sort()).toEqual(['beside.txt', 'link.txt', 'work']);
    expect(readFileSync(path.join(jobDir, 'std.out'), 'utf8')).toContain('read: ');
  });

  it('the covering mount is read-only and cannot be unmounted or remounted, not even from a nested namespace', () => {
    // A real mount is there (umount's "not mounted" is the kernel's EINVAL for a locked mount).
    expect(lineOf(output, 'mounted').trim()).toBe('tmpfs');
    for (const attempt of ['write', 'umount', 'umount-lazy', 'remount-rw', 'nested-umount', 'nested-umount-lazy']) {
      expect(lineOf(output, attempt), attempt).toMatch(/^refused /);
      expect(lineOf(output, attempt), attempt).not.toContain(SECRET);
    }
    expect(existsSync(path.join(secretDir, 'new-file'))).toBe(false);
  });

  it('the pilot is not in the payload’s /proc: only the payload’s own pid namespace is', () => {
    expect(lineOf(output, 'pilot-proc')).toMatch(/No such file/);
    const pids = lineOf(output, 'pids')
      .trim()
      .split(' ')
      .map((p) => Number(p.slice('/proc/'.length)));
    expect(pids).not.toContain(process.pid);
    expect(Math.min(...pids)).toBe(1);
  });

  it('a token refresh (a file renamed over the credentials) stays hidden', () => {
    expect(lineOf(output, 'after-refresh')).not.toContain(SECRET);
    expect(lineOf(output, 'after-refresh-list').split(' ')).not.toContain('credentials.json');
  });
});

describe.skipIf(!support.ok)('direct runner with user namespaces: pinning still applies', () => {
  it('the payload runs on its slot’s CPUs (taskset is outside the namespaces) and still does not see the file', async () => {
    const root = makeJobDir('hide-secrets-pin-');
    try {
      const cred = path.join(root, 'credentials.json');
      writeFileSync(cred, SECRET, { mode: 0o600 });
      const jobDir = path.join(root, 'job');
      mkdirSync(jobDir);
      const script = `awk '/^Cpus_allowed_list:/ { print $2 }' /proc/self/status; cat ${cred} 2>&1 || true`;
      const result = await runPayload(jobDir, ['/bin/sh', '-c', script], { cpuSet: [0], secretFiles: { files: [cred] } }).done;
      expect(result.exitCode).toBe(0);
      const [cpus, read] = readFileSync(path.join(jobDir, 'std.out'), 'utf8').split('\n');
      expect(cpus).toBe('0');
      expect(read).toMatch(/No such file/);
    } finally {
      removeDir(root);
    }
  });
});

describe('hiding off (no user namespaces, simulated): the payload runs as before, one notice', () => {
  it('says once that the credentials are not hidden, and the payload can read them', async () => {
    const root = makeJobDir('hide-secrets-off-');
    try {
      const cred = path.join(root, 'credentials.json');
      writeFileSync(cred, SECRET, { mode: 0o600 });
      resetHidingNotice();
      const { logger, lines } = capturingLogger();
      for (const job of [1, 2]) {
        const jobDir = path.join(root, `job-${job}`);
        mkdirSync(jobDir);
        const result = await runPayload(jobDir, ['/bin/cat', cred], {
          logger,
          secretFiles: { files: [cred], disabled: 'PILOT_NO_SECRET_HIDING is set' },
        }).done;
        expect(result.exitCode).toBe(0);
        expect(readFileSync(path.join(jobDir, 'std.out'), 'utf8')).toBe(SECRET);
      }
      const notices = lines().filter((l) => String(l.msg).startsWith('credentials not hidden'));
      expect(notices).toHaveLength(1);
      expect(notices[0]).toMatchObject({ level: 40, reason: 'PILOT_NO_SECRET_HIDING is set' });
    } finally {
      removeDir(root);
    }
  });
});
