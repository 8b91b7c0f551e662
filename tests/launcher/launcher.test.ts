/**
 * pilot.tar and its dirac-pilot.py launcher (issue 18 §2): built by scripts/build-pilot-tar.mjs,
 * run with python3 as DIRAC's wrapper runs it. The executable is a stand-in that records what it
 * was started with, so the launcher's choice and what it hands on are visible.
 */
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFileServer, type FileServer } from './file-server.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const EXE = `pilot-linux-${process.arch === 'arm64' ? 'arm64' : 'x64'}`;

/** Records argv, one variable and stdin into $RECORD_DIR/<tag>. */
const standIn = (tag: string): string => `#!/bin/sh
out="$RECORD_DIR/${tag}"
printf '%s\\n' "$@" > "$out.argv"
printf '%s' "$LAUNCH_TEST_VAR" > "$out.env"
cat > "$out.stdin"
`;

let dir: string;
let published: string;
let server: FileServer;

function build(binDir: string, out: string, urls: string[]): { tarBytes: number } {
  const args = ['scripts/build-pilot-tar.mjs', '--bin-dir', binDir, '--out', out, ...urls.flatMap((u) => ['--url', u])];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' })) as { tarBytes: number };
}

/** Untars pilot.tar into a fresh directory, as the wrapper does, and returns it. */
function unpack(from: string): string {
  const work = mkdtempSync(path.join(dir, 'DIRAC_'));
  execFileSync('tar', ['-xf', path.join(from, 'pilot.tar'), '-C', work]);
  return work;
}

/** Runs the launcher as the wrapper does; asynchronously, since the file server lives in this process. */
function launch(work: string, args: string[], record: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['dirac-pilot.py', ...args], {
      cwd: work,
      env: { PATH: process.env.PATH, RECORD_DIR: record, LAUNCH_TEST_VAR: 'kept' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
    child.stdin.end('2026-12-07T01:00:00,000000Z DEBUG    [pilotLogger] buffered record\n');
  });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'launcher-'));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(path.join(bin, EXE), standIn('downloaded'), { mode: 0o755 });
  published = path.join(dir, 'srv', 'pilot');
  server = await startFileServer(path.join(dir, 'srv'));
  build(bin, published, [`${server.url}/nowhere`, `${server.url}/pilot`]);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('pilot.tar', () => {
  it('holds the launcher only, configured, with checksums in the wrapper’s format', () => {
    const names = execFileSync('tar', ['-tf', path.join(published, 'pilot.tar')], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .sort();
    expect(names).toEqual(['dirac-pilot.py']);
    const launcher = readFileSync(path.join(published, 'dirac-pilot.py'), 'utf8');
    expect(launcher).toMatch(
      new RegExp(
        `^CONFIG = \\{"urls":\\["${server.url}/nowhere","${server.url}/pilot"\\],"executables":\\{"${EXE}":\\{"file":"${EXE}.gz","sha512":"[0-9a-f]{128}"`,
        'm',
      ),
    );
    expect(statSync(path.join(published, 'pilot.tar')).size).toBeLessThan(20 * 1024);
    const sums = readFileSync(path.join(published, 'checksums.sha512'), 'utf8').trim().split('\n');
    for (const line of sums) expect(line).toMatch(/^[0-9a-f]{128} {2}\S+$/);
    expect(sums.map((l) => l.split('  ')[1])).toEqual(expect.arrayContaining(['pilot.tar', `${EXE}.gz`, 'dirac-pilot.py']));
    expect(readdirSync(published).sort()).toEqual(['checksums.sha512', 'dirac-pilot.py', `${EXE}.gz`, 'pilot.tar']);
  });
});

describe('dirac-pilot.py', () => {
  it('runs the executable beside it with `run`, the same arguments, environment and stdin', async () => {
    const work = unpack(published);
    writeFileSync(path.join(work, EXE), standIn('beside'), { mode: 0o755 });
    const record = mkdtempSync(path.join(dir, 'rec-'));
    const args = ['-S', 'Dev', '-l', 'LHCb', '--CVMFS_locations=/nonexistent', '-o', '/LocalSite/SharedArea=/x y', '--pilotUUID', 'abc'];
    const result = await launch(work, args, record);
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(path.join(record, 'beside.argv'), 'utf8')).toBe(['run', ...args].join('\n') + '\n');
    expect(readFileSync(path.join(record, 'beside.env'), 'utf8')).toBe('kept');
    expect(readFileSync(path.join(record, 'beside.stdin'), 'utf8')).toContain('buffered record');
  });

  it('takes the executable from the first CVMFS location that has it, in the wrapper’s <project>dirac/pilot layout', async () => {
    const work = unpack(published);
    const cvmfs = path.join(dir, 'cvmfs');
    mkdirSync(path.join(cvmfs, 'b', 'lhcbdirac', 'pilot'), { recursive: true });
    writeFileSync(path.join(cvmfs, 'b', 'lhcbdirac', 'pilot', EXE), standIn('cvmfs'), { mode: 0o755 });
    const record = mkdtempSync(path.join(dir, 'rec-'));
    const result = await launch(work, ['-l', 'LHCb', '--CVMFS_locations', `${cvmfs}/a,file:${cvmfs}/b`], record);
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(path.join(record, 'cvmfs.argv'), 'utf8')).toContain('--CVMFS_locations');
    expect(server.requests.filter((r) => r.endsWith('.gz'))).toEqual([]);
  });

  it('downloads the compressed executable from the file server, checked against its sha512, when neither has it', async () => {
    const work = unpack(published);
    const record = mkdtempSync(path.join(dir, 'rec-'));
    const before = server.requests.length;
    const result = await launch(work, ['-S', 'Dev'], record);
    expect(result.status, result.stderr).toBe(0);
    expect(readFileSync(path.join(record, 'downloaded.argv'), 'utf8')).toBe('run\n-S\nDev\n');
    // The first URL has nothing; the second serves it.
    expect(server.requests.slice(before)).toEqual([`/nowhere/${EXE}.gz`, `/pilot/${EXE}.gz`]);
    expect(result.stderr).toMatch(/nowhere.*404/);
  });

  it('refuses a download whose sha512 differs, and says so', async () => {
    const tampered = path.join(dir, 'srv', 'tampered');
    mkdirSync(tampered);
    for (const name of readdirSync(published)) copyFileSync(path.join(published, name), path.join(tampered, name));
    // The same launcher (same recorded sha512) pointed at a server whose .gz was replaced.
    const work = unpack(tampered);
    const launcher = path.join(work, 'dirac-pilot.py');
    writeFileSync(
      launcher,
      readFileSync(launcher, 'utf8').replace(`${server.url}/nowhere","${server.url}/pilot`, `${server.url}/tampered`),
    );
    const bogus = path.join(dir, 'bogus');
    writeFileSync(bogus, standIn('bogus'));
    execFileSync('sh', ['-c', `gzip -c "${bogus}" > "${path.join(tampered, `${EXE}.gz`)}"`]);
    const record = mkdtempSync(path.join(dir, 'rec-'));
    const result = await launch(work, [], record);
    expect(result.status).toBe(23);
    expect(result.stderr).toMatch(/checksum mismatch/);
    expect(readdirSync(record)).toEqual([]);
  });
});
