/**
 * Secrets across a whole pilot run: the pilot's tokens (before and after a refresh) and the job
 * owners' tokens from the match replies must appear in no log line, no file the pilot leaves in
 * its work directory, no log line shipped to the server, and nothing a payload can see in its
 * environment or job directory. Files holding secrets are private. TLS trusts only the CA given.
 */
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { generateDevTls } from '../../src/devserver/tls.js';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { ExitCode } from '../../src/pilot/exit-codes.js';
import { devPilotArgs, runPilot, tempDir, type PilotRun } from '../integration/pilot-process.js';
import { pilotLines } from './clean-end.js';
import { startGarblingProxy, type GarblingProxy } from './garbling-proxy.js';

/**
 * What a curious payload looks at: its environment (as the shell sees it and as the kernel holds
 * it), every file in its job directory, and its ancestors' command lines; then it tries to read
 * the credentials file named there. Output goes to files returned in the output sandbox.
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
if [ -n "$creds" ]; then cat "$creds" > stolen.txt 2>&1; else echo "no credentials path seen" > stolen.txt; fi
`;
const SNOOP_OUTPUTS = ['env.txt', 'environ.txt', 'dir.txt', 'ancestors.txt', 'stolen.txt'];

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
const needles = (tokens: string[]) => [...new Set(tokens.flatMap((t) => [t, ...(t.split('.').length === 3 ? [t.split('.')[2]!] : [])]))].filter((n) => n.length >= 16);

function filesUnder(root: string): string[] {
  return readdirSync(root, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(root, e.name);
    return e.isDirectory() ? [full, ...filesUnder(full)] : [full];
  });
}

beforeAll(async () => {
  const server = await startDevServer({
    jobs: [{ fields: { JobName: 'snoop', Executable: '/bin/sh', Arguments: 'snoop.sh', StdOutput: 'std.out', StdError: 'std.err', OutputSandbox: [...SNOOP_OUTPUTS, 'std.out', 'std.err'], CPUTime: 60 }, inputFiles: { 'snoop.sh': SNOOP } }],
    features: { pilotLogs: true },
  });
  const proxy = await startGarblingProxy(server.url, null, 'html', /^(POST \/api\/auth\/token|POST \/api\/jobs\/match)$/);
  const dir = tempDir('pilot-sec-');
  const credentials = path.join(dir, 'credentials.json');
  const issued = server.issuePilotCredentials();
  // Expired on arrival: the pilot must refresh, so rotated tokens are in play too.
  writeFileSync(credentials, JSON.stringify({ ...issued, expires_on: Math.floor(Date.now() / 1000) - 5 }), { mode: 0o600 });
  const work = path.join(dir, 'work');
  const pilot = await runPilot([...devPilotArgs({ url: proxy.url }, credentials, work), '-z', '-d']);

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
  run = { server, proxy, dir, work, credentials, pilot, tokens, snooped };
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
      for (const needle of needles(run.tokens)) if (text.includes(needle)) leaks.push(`${path.relative(run.work, file)} holds …${needle.slice(-8)}`);
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

  // The limit, pinned so that docs/reliability.md changes when it does: with the direct runner the
  // payload runs as the pilot's uid, so /proc shows it the pilot's command line and the file it
  // names is as readable to it as to the pilot. Only a different uid or a container without the
  // pilot's /proc and paths closes this (see docs/reliability.md, "Limits").
  it('direct runner, same uid: the payload can find the credentials path in the pilot’s command line and read it (documented limit)', () => {
    expect(run.snooped['ancestors.txt']).toContain(`--credentials ${run.credentials}`);
    const stolen = run.snooped['stolen.txt']!;
    expect(tokensIn(stolen).length).toBeGreaterThan(0);
    // Also the positive control of the scans above: they would have seen these bytes.
    expect(needles(run.tokens).some((n) => stolen.includes(n))).toBe(true);
  });

  it('credential file and pilot.log are 0600, the work directory 0700, nothing in it readable by others', () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    expect(mode(run.credentials)).toBe(0o600);
    expect(mode(path.join(run.work, 'pilot.log'))).toBe(0o600);
    expect(mode(run.work)).toBe(0o700);
    const open = filesUnder(run.work).filter((f) => (statSync(f).mode & 0o077) !== 0).map((f) => `${path.relative(run.work, f)} ${mode(f).toString(8)}`);
    expect(open).toEqual([]);
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
