/**
 * A job's payload proxy (legacy DIRAC; in mixed mode it carries the owner's DiracX token too) is a
 * credential of that job alone: with namespaces, another job's payload running beside it must not
 * read it. The payload proxies lay in <work>/proxies, which every payload saw whole (job 2 read
 * job 1's proxy, key and owner token); they now lie in <work>/payload-proxies, of which each
 * payload's view shows its own entry alone, as for the jobs and tokens directories.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDiracDevServer, type DevJobSpec, type DiracDevServer } from '../../src/devserver-dirac/index.js';
import { namespaceSupport } from '../../src/payload/runner/hide-secrets.js';
import { extractSandbox } from '../../src/payload/sandbox/extract.js';
import { legacyPilotArgs, runPilot, tempDir } from './pilot-process.js';

let server: DiracDevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const support = namespaceSupport();
if (!support.ok) console.log(`skipping the payload proxy isolation test: ${support.reason}`);

/** Job 1 keeps its proxy on disk while it sleeps; job 2 looks for any private key it can read in the work directory. */
const HOLDER = 'sleep 6\n';
const SNOOP = [
  'own=$(readlink -f "$X509_USER_PROXY")',
  'grep -q "BEGIN DIRACX" "$own" && echo OWN-PROXY-WITH-TOKEN',
  'find ../.. -type f ! -path "../../jobs/*" 2>/dev/null | while read -r f; do',
  '  [ "$(readlink -f "$f")" = "$own" ] && continue',
  '  grep -l "PRIVATE KEY\\|BEGIN DIRACX" "$f" 2>/dev/null | sed "s/^/READ /"',
  'done',
  'true',
].join('\n');

describe.skipIf(!support.ok)('payload proxies between jobs side by side (dirac+diracx, direct runner with namespaces)', () => {
  it('a payload reads its own proxy and owner token, never another job’s', async () => {
    const dir = tempDir('proxy-isolation-');
    const fields = { Executable: '/bin/sh', StdOutput: 'std.out', StdError: 'std.err', OutputSandbox: ['std.out', 'std.err'] };
    const jobs: DevJobSpec[] = [
      { jobId: 1, fields: { ...fields, JobName: 'hold', Arguments: 'hold.sh' }, inputFiles: { 'hold.sh': HOLDER } },
      { jobId: 2, fields: { ...fields, JobName: 'snoop', Arguments: 'snoop.sh' }, inputFiles: { 'snoop.sh': `${SNOOP}\n` } },
    ];
    server = await startDiracDevServer({ dir: path.join(dir, 'server'), jobs, diracx: true });
    const run = await runPilot(legacyPilotArgs(server, path.join(dir, 'work'), ['-P', '4'], 'dirac+diracx'));
    expect(run.code, run.stderr).toBe(0);
    const done = server.diracx!.jobs();
    expect(
      done.map((j) => j.status),
      JSON.stringify(done.map((j) => j.history)),
    ).toEqual(['Done', 'Done']);
    // Side by side: job 2 started while job 1 (and its proxy) was still there.
    const named = (name: string) => done.find((j) => j.jdl.includes(`JobName = "${name}"`))!;
    const started = (name: string) => named(name).history.find((h) => h.minorStatus === 'Application')!.timestamp;
    const ended = (name: string) => named(name).history.at(-1)!.timestamp;
    expect(new Date(started('snoop')).getTime()).toBeLessThan(new Date(ended('hold')).getTime());
    const archive = path.join(dir, 'out.tar.bz2');
    writeFileSync(archive, server.diracx!.outputSandbox(named('snoop').id)!);
    await extractSandbox(archive, path.join(dir, 'out'));
    const printed = readFileSync(path.join(dir, 'out', 'std.out'), 'utf8');
    // Positive control: the snoop reads what it is meant to read.
    expect(printed).toContain('OWN-PROXY-WITH-TOKEN');
    expect(printed.split('\n').filter((l) => l.startsWith('READ '))).toEqual([]);
  });
});
