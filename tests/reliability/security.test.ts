/**
 * Secrets across a whole pilot run: the pilot's tokens (before and after a refresh) and the job
 * owners' tokens from the match replies must appear in no log line, no file the pilot leaves in
 * its work directory, no log line shipped to the server, and nothing a payload can see in its
 * environment or job directory. Files holding secrets are private. TLS trusts only the CA given.
 */
import { spawn } from 'node:child_process';
import { chownSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { generateDevTls } from '../../src/devserver/tls.js';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { namespaceSupport } from '../../src/payload/runner/hide-secrets.js';
import { NO_SECRET_HIDING_ENV } from '../../src/payload/runner/secret-files.js';
import { devPilotArgs, PILOT_BUNDLE, runPilot, tempDir, type PilotRun } from '../integration/pilot-process.js';
import { pilotLines } from './clean-end.js';
import { startGarblingProxy, type GarblingProxy } from './garbling-proxy.js';

/**
 * What a curious payload looks at: its environment (as the shell sees it and as the kernel holds
 * it), every file in its job directory, and its ancestors' command lines. Then it goes looking for
 * the pilot's credentials: the path from an ancestor's command line, or else the real path, given
 * as $1 (a payload could guess it, or read it in the batch job's script); every process its /proc
 * shows with `--credentials` on its command line, and that process's environ, maps and memory; and
 * it tries to unmount whatever covers the credentials' directory, then reads the file again.
 * Output goes to files returned in the output sandbox.
 */
const SNOOP = `#!/bin/sh
env > env.txt
tr '\\0' '\\n' < /proc/self/environ > environ.txt
find . -type f ! -name '*.txt' -exec sh -c 'for f; do echo "== $f"; cat "$f"; done' sh {} + > dir.txt 2>&1
p=$$
: > ancestors.txt
for i in 1 2 3 4 5; do
  p=$(awk '/^PPid:/ { print $2 }' /proc/$p/status)
  [ "$p" -gt 1 ] || break
  tr '\\0' ' ' < /proc/$p/cmdline >> ancestors.txt
  echo >> ancestors.txt
done
creds=$(sed -n 's/.*--credentials \\([^ ]*\\).*/\\1/p' ancestors.txt | head -n 1)
[ -n "$creds" ] || creds=$1
cat "$creds" > stolen.txt 2>&1
: > pilot-proc.txt
for d in /proc/[0-9]*; do
  tr '\\0' ' ' < $d/cmdline 2>/dev/null | grep -q -e '--credentials' || continue
  { echo "== $d"; echo "environ: $(tr '\\0' ' ' 2>&1 < $d/environ)"; echo "maps: $(head -n 1 $d/maps 2>&1)"; echo "mem: $(head -c 16 $d/mem 2>&1 | tr -c '[:print:]' '.')"; } >> pilot-proc.txt
done
umount "$(dirname "$creds")" > umount.txt 2>&1; echo "umount rc=$?" >> umount.txt
unshare --user --map-root-user --mount sh -c 'umount "$1"' sh "$(dirname "$creds")" >> umount.txt 2>&1; echo "nested umount rc=$?" >> umount.txt
cat "$creds" >> stolen.txt 2>&1
exit 0
`;
const SNOOP_OUTPUTS = ['env.txt', 'environ.txt', 'dir.txt', 'ancestors.txt', 'stolen.txt', 'pilot-proc.txt', 'umount.txt'];

interface Run {
  server: DevServer;
  proxy: GarblingProxy;
  dir: string;
  work: string;
  credentials: string;
  pilot: PilotRun;
  /** Every token the run handled: the pilot's (issued and refreshed) and the owners' from match replies. */
  tokens: string[];
  /** The snoop job's output files by name. */
  snooped: Record<string, string>;
}

let run: Run;

/** access_token / refresh_token values anywhere in a JSON document. */
function tokensIn(text: string): string[] {
  const found: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        if ((k === 'access_token' || k === 'refresh_token') && typeof inner === 'string') found.push(inner);
        else walk(inner);
      }
    }
  };
  try {
    walk(JSON.parse(text));
  } catch {
    // a reply cut or empty: nothing to learn from it
  }
  return found;
}

/** The strings whose presence means a token leaked: each whole token and, for JWTs, its signature alone. */
const needles = (tokens: string[]) =>
  [...new Set(tokens.flatMap((t) => [t, ...(t.split('.').length === 3 ? [t.split('.')[2]!] : [])]))].filter((n) => n.length >= 16);

function filesUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(root, e.name);
    return e.isDirectory() ? [full, ...filesUnder(full)] : [full];
  });
}

interface SnoopRunOptions {
  /** Environment added to the pilot's. */
  env?: NodeJS.ProcessEnv;
  /** Run the pilot (and so its payload) as nobody: as root the kernel's same-uid rules would not apply. */
  asNobody?: boolean;
}

/** One pilot that runs the snoop job; returns what it handled and what the snoop saw. */
async function snoopRun(prefix: string, options: SnoopRunOptions = {}): Promise<Run & { pilotPid: number }> {
  const dir = tempDir(prefix);
  const credentials = path.join(dir, 'credentials.json');
  const server = await startDevServer({
    jobs: [
      {
        fields: {
          JobName: 'snoop',
          Executable: '/bin/sh',
          Arguments: `snoop.sh ${credentials}`,
          StdOutput: 'std.out',
          StdError: 'std.err',
          OutputSandbox: [...SNOOP_OUTPUTS, 'std.out', 'std.err'],
          CPUTime: 60,
        },
        inputFiles: { 'snoop.sh': SNOOP },
      },
    ],
    features: { pilotLogs: true },
  });
  const proxy = await startGarblingProxy(server.url, null, 'html', /^(POST \/api\/auth\/token|POST \/api\/jobs\/match)$/);
  const issued = server.issuePilotCredentials();
  // Expired on arrival: the pilot must refresh, so rotated tokens are in play too.
  writeFileSync(credentials, JSON.stringify({ ...issued, expires_on: Math.floor(Date.now() / 1000) - 5 }), { mode: 0o600 });
  const work = path.join(dir, 'work');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env };
  let pilotPid = -1;
  const args = [...devPilotArgs({ url: proxy.url }, credentials, work), '-z', '-d'];
  const pilot =
    options.asNobody && process.getuid?.() === 0
      ? await runPilotAsNobody(args, dir, env, (pid) => (pilotPid = pid))
      : await runPilot(args, { env, cwd: dir, onSpawn: (pid) => (pilotPid = pid) });

  const snooped: Record<string, string> = {};
  const bytes = server.outputSandbox(server.jobs()[0]!.id);
  if (bytes) {
    const out = path.join(dir, 'sandbox');
    mkdirSync(out);
    writeFileSync(path.join(out, 'out.tar.zst'), bytes);
    await extractSandbox(path.join(out, 'out.tar.zst'), path.join(out, 'x'));
    for (const name of SNOOP_OUTPUTS) snooped[name] = readFileSync(path.join(out, 'x', name), 'utf8');
    rmSync(out, { recursive: true });
  }
  const tokens = [issued.access_token, issued.refresh_token, ...proxy.recorded.flatMap(tokensIn)];
  return { server, proxy, dir, work, credentials, pilot, tokens, snooped, pilotPid };
}

const NOBODY = 65534;

/** runPilot, but as nobody through util-linux setpriv (which execs: the pid is the pilot's). */
function runPilotAsNobody(args: string[], dir: string, env: NodeJS.ProcessEnv, onSpawn: (pid: number) => void): Promise<PilotRun> {
  for (const p of [dir, ...filesUnder(dir)]) chownSync(p, NOBODY, NOBODY);
  return new Promise((resolve, reject) => {
    const child = spawn(
      'setpriv',
      [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', '--', process.execPath, PILOT_BUNDLE, ...args],
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    if (child.pid) onSpawn(child.pid);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const namespaces = namespaceSupport();
if (!namespaces.ok) console.log(`security: the credential-hiding assertions are skipped: ${namespaces.reason}`);

beforeAll(async () => {
  // As nobody where the suite is root: the pilot as sites run it, without privileges.
  run = await snoopRun('pilot-sec-', { asNobody: true });
}, 60_000);

afterAll(async () => {
  await run?.proxy.close();
  await run?.server.close();
  if (run) rmSync(run.dir, { recursive: true, force: true });
});

describe('secrets across a pilot run (refresh, match with owner tokens, pilot logs shipped, -d)', () => {
  it('the run itself worked: a refresh, an owner token, a Done job, its snoop files returned', () => {
    expect(run.pilot.code, run.pilot.stderr).toBe(ExitCode.OK);
    expect(run.server.jobs()[0]!.status).toBe('Done');
    // Issued pair + the refresh's pair + the owner's pair from the match.
    expect(new Set(run.tokens).size).toBeGreaterThanOrEqual(6);
    expect(Object.keys(run.snooped).sort()).toEqual([...SNOOP_OUTPUTS].sort());
    expect(run.server.pilotLogs.length).toBeGreaterThan(0);
  });

  it('no token in the pilot’s stdout, stderr or shipped log lines', () => {
    const text = [run.pilot.stdout, run.pilot.stderr, JSON.stringify(run.server.pilotLogs)].join('\n');
    for (const needle of needles(run.tokens)) expect(text.includes(needle), `token ending …${needle.slice(-8)} leaked`).toBe(false);
  });

  it('no token in any file under the work directory', () => {
    const leaks: string[] = [];
    for (const file of filesUnder(run.work)) {
      if (statSync(file).isDirectory()) continue;
      const text = readFileSync(file, 'latin1');
      for (const needle of needles(run.tokens))
        if (text.includes(needle)) leaks.push(`${path.relative(run.work, file)} holds …${needle.slice(-8)}`);
    }
    expect(leaks).toEqual([]);
  });

  it('no token, and no credentials path, in what the payload sees: environment, /proc/self/environ, its job directory', () => {
    for (const name of ['env.txt', 'environ.txt', 'dir.txt']) {
      const text = run.snooped[name]!;
      for (const needle of needles(run.tokens)) expect(text.includes(needle), `${name} holds a token`).toBe(false);
      expect(text.includes(run.credentials), `${name} names the credentials file`).toBe(false);
    }
    expect(run.snooped['env.txt']).not.toMatch(/DIRACX_CREDENTIALS_PATH|X509_USER_PROXY|PILOT_SECRET_FILE|access_token|refresh_token/);
  });

  // The credentials are hidden from the payload (docs/reliability.md, "Limits"): it runs in its own
  // user, mount and pid namespaces, where the directory holding them is covered by a read-only
  // tmpfs that it cannot unmount, and where no process of the pilot is visible in /proc.
  it.skipIf(!namespaces.ok)(
    'the payload cannot read the credentials: not through the pilot’s /proc, not at their path, not after trying to unmount what hides them',
    () => {
      // Positive control: the file holds tokens the scans would recognise.
      const real = readFileSync(run.credentials, 'utf8');
      expect(tokensIn(real).length).toBeGreaterThan(0);
      expect(needles(run.tokens).some((n) => real.includes(n))).toBe(true);

      // No ancestor, and no process at all in the payload's /proc, shows the pilot's command line.
      expect(run.snooped['ancestors.txt']).not.toContain('--credentials');
      expect(run.snooped['pilot-proc.txt']).toBe('');
      // At the real path: nothing, before and after the unmount attempts.
      const stolen = run.snooped['stolen.txt']!;
      expect(tokensIn(stolen)).toEqual([]);
      expect(needles(run.tokens).filter((n) => stolen.includes(n))).toEqual([]);
      expect(stolen).toMatch(/No such file or directory[\s\S]*No such file or directory/);
      const umount = run.snooped['umount.txt']!;
      expect(umount).toMatch(/^umount rc=[1-9]/m);
      expect(umount).toMatch(/^nested umount rc=[1-9]/m);
    },
  );
  it('credential file and pilot.log are 0600, the work directory 0700, nothing in it readable by others', () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(run.credentials)).toBe(0o600);
    expect(mode(path.join(run.work, 'pilot.log'))).toBe(0o600);
    expect(mode(run.work)).toBe(0o700);
    const open = filesUnder(run.work)
      .filter((f) => (statSync(f).mode & 0o077) !== 0)
      .map((f) => `${path.relative(run.work, f)} ${mode(f).toString(8)}`);
    expect(open).toEqual([]);
  });
});

describe('credentials hiding off (PILOT_NO_SECRET_HIDING: as on a node without user namespaces)', () => {
  let off: Run & { pilotPid: number };
  beforeAll(async () => {
    off = await snoopRun('pilot-sec-off-', { env: { [NO_SECRET_HIDING_ENV]: '1' }, asNobody: true });
  }, 60_000);
  afterAll(async () => {
    await off?.proxy.close();
    await off?.server.close();
    if (off) rmSync(off.dir, { recursive: true, force: true });
  });

  it('one line in the pilot log says the credentials are not hidden; the job still ran', () => {
    expect(off.pilot.code, off.pilot.stderr).toBe(ExitCode.OK);
    expect(off.server.jobs()[0]!.status).toBe('Done');
    const log = readFileSync(path.join(off.work, 'pilot.log'), 'utf8');
    const notices = log.split('\n').filter((l) => l.includes('credentials not hidden from payloads'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(NO_SECRET_HIDING_ENV);
  });

  it('the payload then reads the file named in the pilot’s command line (the documented fallback)', () => {
    expect(off.snooped['ancestors.txt']).toContain(`--credentials ${off.credentials}`);
    expect(
      needles(off.tokens).some((n) => off.snooped['stolen.txt']!.includes(n)),
      off.snooped['stolen.txt'],
    ).toBe(true);
  });

  it('but not the pilot’s environ, maps or memory: the pilot is not dumpable', () => {
    const sections = off.snooped['pilot-proc.txt']!.split(/^== /m).filter(Boolean);
    const pilot = sections.find((s) => s.startsWith(`/proc/${off.pilotPid}\n`));
    expect(pilot, off.snooped['pilot-proc.txt']).toBeDefined();
    for (const file of ['environ', 'maps', 'mem']) expect(pilot).toMatch(new RegExp(`^${file}: .*Permission denied`, 'm'));
    for (const needle of needles(off.tokens)) expect(pilot!.includes(needle)).toBe(false);
  });
});

describe('TLS', () => {
  let dir: string;
  let server: DevServer;
  let caDirOfServer: string;
  let otherCaFile: string;
  beforeAll(async () => {
    dir = tempDir('pilot-sec-tls-');
    const right = await generateDevTls(path.join(dir, 'right'));
    const wrong = await generateDevTls(path.join(dir, 'wrong'));
    caDirOfServer = right.caDir;
    otherCaFile = wrong.caFile;
    server = await startDevServer({ tls: { cert: right.cert, key: right.key } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function pilotWith(extra: string[]): Promise<PilotRun> {
    const credentials = path.join(dir, `credentials-${Math.random().toString(36).slice(2)}.json`);
    await server.writePilotCredentials(credentials);
    return runPilot([...devPilotArgs(server, credentials, path.join(dir, `work-${Math.random().toString(36).slice(2)}`)), ...extra]);
  }

  it('refuses a server whose certificate another CA signed: TLS (22), one line, no request reached the API', async () => {
    const pilot = await pilotWith(['--ca-path', otherCaFile]);
    expect(pilot.code, pilot.stderr).toBe(ExitCode.TLS);
    expect(pilotLines(pilot.stderr)).toHaveLength(1);
    expect(server.requests).toEqual([]);
  });

  it('refuses it with the system trust store as well (no --ca-path)', async () => {
    const pilot = await pilotWith([]);
    expect(pilot.code, pilot.stderr).toBe(ExitCode.TLS);
    expect(server.requests).toEqual([]);
  });

  it('talks to it with the right grid CA directory', async () => {
    const pilot = await pilotWith(['--ca-path', caDirOfServer]);
    expect(pilot.code, pilot.stderr).toBe(ExitCode.OK);
    expect(server.requests.length).toBeGreaterThan(0);
  });
});
