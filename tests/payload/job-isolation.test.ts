/**
 * One job against another, and against the pilot, on one pilot (issue 15): a payload of one owner
 * runs beside a job of another owner that asked for its token (PayloadToken). Written as an
 * attacker would: real jobs through the real job wrapper, the attacker looking where the layout
 * says the other job's token and files are (`../../tokens/job-<id>`, `../<id>/`), at /proc, and
 * signalling the pilot. And a job whose Environment sets LD_PRELOAD to a library from its own
 * sandbox, which would run inside the pilot's helpers before they enter the namespaces.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, MatchedJob, StatusUpdate } from '../../src/backend/types.js';
import { silentLogger } from '../../src/core/logger.js';
import { describeJob } from '../../src/payload/job-description.js';
import { runJob, type JobOutcome } from '../../src/payload/job-wrapper.js';
import { SlotPool, isSlot } from '../../src/payload/slots.js';
import { namespaceSupport } from '../../src/payload/runner/hide-secrets.js';
import { secretFilesOf, type SecretFiles } from '../../src/payload/runner/secret-files.js';
import { makeJobDir, QUIET_LIMITS, removeDir, runPayload, waitFor } from './helpers.js';

const BOB_TOKEN = 'eyJBOB-OWNER-TOKEN-0123456789';
const PILOT_SECRET = 'eyJPILOT-ACCESS-TOKEN-abcdef';
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeDir));

function backend(): Backend {
  return {
    kind: 'diracx',
    setJobStatus: async (_id: number, _u: StatusUpdate) => undefined,
    setJobMetadata: async () => undefined,
    reschedule: async () => undefined,
    heartbeat: async () => [],
    downloadSandbox: async () => undefined,
    uploadOutputSandbox: async () => 'SB:x',
  } as unknown as Backend;
}

function startJob(
  work: string,
  jobId: number,
  owner: string,
  jdl: string,
  extra: { secretFiles: SecretFiles; token?: string; allowShared?: boolean; privateAreaDirs?: string[] },
): Promise<JobOutcome> {
  const job: MatchedJob = {
    jobId,
    jdl,
    owner,
    ownerGroup: 'g',
    vo: 'v',
    credentials: extra.token ? { accessToken: extra.token, expiresIn: 3600, refreshToken: null } : null,
  };
  const description = describeJob(jdl, job);
  const slot = new SlotPool({ processors: 1, memoryMB: 1000, gpus: [] }).acquire(description);
  if (!isSlot(slot)) throw new Error(slot.reason);
  return runJob({
    job,
    description,
    slot,
    backend: backend(),
    workDir: work,
    site: 'S',
    runner: { kind: 'direct', reason: 'test', secretFiles: extra.secretFiles },
    limits: QUIET_LIMITS,
    pilotEnv: { PATH: process.env.PATH },
    logger: silentLogger(),
    native: null,
    shutdown: new AbortController().signal,
    keepJobDir: true,
    ...(extra.allowShared ? { allowSharedPayloadToken: true } : {}),
    ...(extra.privateAreaDirs ? { privateAreaDirs: extra.privateAreaDirs } : {}),
  });
}

/** A pilot's scratch: its credentials beside the work directory, and the runner's list of them. */
function pilotScratch(env: NodeJS.ProcessEnv = {}) {
  const root = makeJobDir('isolation-');
  dirs.push(root);
  const creds = path.join(root, 'creds.json');
  writeFileSync(creds, PILOT_SECRET, { mode: 0o600 });
  const work = path.join(root, 'work');
  mkdirSync(work, { mode: 0o700 });
  return { root, creds, work, secretFiles: secretFilesOf([creds], env) };
}

const support = namespaceSupport();
if (!support.ok) console.log(`skipping the job-isolation tests that need user namespaces: ${support.reason}`);

/** The victim: reads its own token (positive control), leaves data in its directory, waits for `go`. */
const VICTIM = `[Executable = "/bin/sh"; Arguments = "-c 'cat $BEARER_TOKEN_FILE > own-token.txt; echo bob-private-data > bob-data; : > ready; while [ ! -e go ]; do sleep 0.05; done'"; PayloadToken = True;]`;

/** The attacker: everything it can find of the other job and of the pilot goes to its stdout. */
const ATTACKER_SCRIPT = `#!/bin/sh
echo "token: $(cat ../../tokens/job-2 2>&1)"
echo "tokens-dir: $(ls -A ../../tokens 2>&1 | tr '\\n' ' ')"
echo "jobs-dir: $(ls -A .. 2>&1 | tr '\\n' ' ')"
echo "bob-data: $(cat ../2/bob-data 2>&1)"
echo "bob-by-path: $(cat "$1/jobs/2/bob-data" 2>&1)"
echo "write-other: $( (echo x > ../2/planted) 2>&1 && echo succeeded)"
echo "pids: $(ls /proc | grep -c '^[0-9]')"
echo "pilot-signal: $(kill -0 "$2" 2>&1 && echo succeeded)"
echo "pilot-environ: $(head -c 100 /proc/$2/environ 2>&1)"
echo "pilot-creds: $(cat "$3" 2>&1)"
umount .. 2>/dev/null; umount -l "$1/tokens" 2>/dev/null
unshare --user --map-root-user --mount sh -c 'umount -l "$1/jobs"; umount -l "$1/tokens"; echo "nested: $(ls -A "$1/jobs" "$1/tokens" 2>&1 | tr "\\n" " ")"' sh "$1"
echo "after-umount: $(ls -A .. ../../tokens 2>&1 | tr '\n' ' ')"
`;

describe.skipIf(!support.ok)('attack 3: one job against another on the same pilot (direct runner, user namespaces)', () => {
  it('a concurrent job of another owner sees neither the token nor the directory of the other job, nor the pilot', async () => {
    const { creds, work, secretFiles } = pilotScratch();
    const victim = startJob(work, 2, 'bob', VICTIM, { secretFiles, token: BOB_TOKEN });
    const victimDir = path.join(work, 'jobs', '2');
    await waitFor(() => existsSync(path.join(victimDir, 'ready')), 20_000);

    // The attacker's script, as its input sandbox would have put it in its job directory.
    mkdirSync(path.join(work, 'jobs', '3'), { recursive: true });
    writeFileSync(path.join(work, 'jobs', '3', 'attack.sh'), ATTACKER_SCRIPT, { mode: 0o755 });
    const attacker = await startJob(work, 3, 'mallory', `[Executable = "attack.sh"; Arguments = "${work} ${process.pid} ${creds}";]`, {
      secretFiles,
    });
    writeFileSync(path.join(victimDir, 'go'), '');
    const victimOutcome = await victim;

    expect(victimOutcome.status).toBe('Done');
    expect(readFileSync(path.join(victimDir, 'own-token.txt'), 'utf8').trim()).toBe(BOB_TOKEN); // the owner's job reads its own
    const out = readFileSync(path.join(work, 'jobs', '3', 'std.out'), 'utf8');
    expect(attacker.status, out).toBe('Done');
    const line = (name: string) =>
      out
        .split('\n')
        .find((l) => l.startsWith(`${name}: `))
        ?.slice(name.length + 2) ?? `(no ${name} line)`;
    expect(out).not.toContain(BOB_TOKEN);
    expect(out).not.toContain('bob-private-data');
    expect(out).not.toContain(PILOT_SECRET);
    expect(line('token')).toMatch(/No such file/);
    expect(line('tokens-dir')).toBe('');
    expect(line('jobs-dir').trim()).toBe('3');
    expect(line('write-other')).not.toMatch(/succeeded/);
    expect(existsSync(path.join(victimDir, 'planted'))).toBe(false);
    expect(Number(line('pids'))).toBeLessThan(10); // its own pid namespace: its shell, its probes
    expect(line('pilot-signal')).not.toMatch(/succeeded/);
    expect(line('pilot-environ')).toMatch(/No such file/);
    expect(line('pilot-creds')).not.toContain(PILOT_SECRET);
    // Unmounting what hides the others fails, also from a namespace of its own (the mounts are locked).
    expect(line('nested')).toMatch(/jobs:/);
    expect(line('nested')).not.toMatch(/\b2\b|job-2/);
    expect(line('after-umount')).not.toMatch(/\b2\b|job-2/);
  });

  it('edge mode: a payload on the compute side sees its own staged directory only, not the other jobs’ relay files', async () => {
    const { root, work, secretFiles } = pilotScratch();
    const staged = path.join(root, 'staged-jobs');
    for (const id of ['2', '3']) {
      mkdirSync(path.join(staged, id), { recursive: true });
      writeFileSync(path.join(staged, id, 'events.jsonl'), `{"job":${id}}\n`);
    }
    const outcome = await startJob(
      work,
      3,
      'mallory',
      `[Executable = "/bin/sh"; Arguments = "-c 'ls -A ${staged}; cat ${staged}/2/events.jsonl; echo x > ${staged}/2/forged'";]`,
      { secretFiles, privateAreaDirs: [staged] },
    );
    const out = readFileSync(path.join(work, 'jobs', '3', 'std.out'), 'utf8');
    expect(outcome.status).toBe('Failed'); // its last command could not write there
    expect(out.trim()).toBe('3');
    expect(existsSync(path.join(staged, '2', 'forged'))).toBe(false);
  });

  it('a job’s LD_PRELOAD never loads into the pilot’s helpers outside the namespaces', async () => {
    let gcc = true;
    try {
      execFileSync('gcc', ['--version'], { stdio: 'ignore' });
    } catch {
      gcc = false;
    }
    if (!gcc) {
      console.log('skipping the LD_PRELOAD attack: no gcc to build the library');
      return;
    }
    const { creds } = pilotScratch();
    const job = makeJobDir('preload-job-');
    dirs.push(job);
    // The library a sandbox would ship: at load, it copies the pilot's credentials to a file outside.
    writeFileSync(
      path.join(job, 'evil.c'),
      `#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
__attribute__((constructor)) static void steal(void) {
  const char *from = getenv("STEAL_FROM"), *to = getenv("STEAL_TO");
  if (!from || !to) return;
  FILE *out = fopen(to, "a"), *in = fopen(from, "r");
  if (!out) return;
  fprintf(out, "pid %d: ", (int)getpid());
  if (in) { char buf[256]; size_t n = fread(buf, 1, sizeof buf, in); fwrite(buf, 1, n, out); fclose(in); } else fputs("(unreadable)", out);
  fputs("\\n", out);
  fclose(out);
}
`,
    );
    execFileSync('gcc', ['-shared', '-fPIC', '-o', path.join(job, 'evil.so'), path.join(job, 'evil.c')]);
    // Outside the credentials' directory (which the payload sees read-only), writable from both sides.
    const drop = makeJobDir('preload-drop-');
    dirs.push(drop);
    const stolen = path.join(drop, 'stolen.txt');
    const handle = runPayload(job, ['/bin/sh', '-c', 'echo ran'], {
      secretFiles: { files: [creds] },
      env: { PATH: '/usr/bin:/bin', LD_PRELOAD: path.join(job, 'evil.so'), STEAL_FROM: creds, STEAL_TO: stolen },
    });
    const result = await handle.done;
    expect(result.exitCode).toBe(0);
    expect(readFileSync(path.join(job, 'std.out'), 'utf8')).toBe('ran\n');
    // The payload's own processes did load it (it is their environment) and found nothing to read.
    const lines = readFileSync(stolen, 'utf8');
    expect(lines).toMatch(/\(unreadable\)/);
    expect(lines).not.toContain(PILOT_SECRET);
    expect(existsSync(path.join(job, '.dirac-payload-env'))).toBe(false);
  });
});

describe('PayloadToken where payloads cannot be kept apart (no namespaces, or hiding off)', () => {
  it('is refused as the job’s own failure unless the site allows it', async () => {
    const { work, secretFiles } = pilotScratch({ PILOT_NO_SECRET_HIDING: '1' });
    const jdl = '[Executable = "/bin/sh"; Arguments = "-c \'cat $BEARER_TOKEN_FILE\'"; PayloadToken = True;]';
    const refused = await startJob(work, 4, 'bob', jdl, { secretFiles, token: BOB_TOKEN });
    expect(refused).toMatchObject({
      status: 'Failed',
      failure: 'job',
      minorStatus: 'Payload Token Refused: other payloads of this pilot could read it',
    });
    expect(existsSync(path.join(work, 'tokens', 'job-4'))).toBe(false);

    const allowed = await startJob(work, 5, 'bob', jdl, { secretFiles, token: BOB_TOKEN, allowShared: true });
    expect(allowed.status).toBe('Done');
    expect(readFileSync(path.join(work, 'jobs', '5', 'std.out'), 'utf8').trim()).toBe(BOB_TOKEN);
    expect(existsSync(path.join(work, 'tokens', 'job-5'))).toBe(false); // removed at the end
  });
});
