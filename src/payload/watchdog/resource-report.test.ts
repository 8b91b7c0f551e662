import { execFileSync, spawn } from 'node:child_process';
import { linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readProcStat } from '../process/process-table.js';
import { PRMON_COLUMNS, ResourceReport } from './resource-report.js';
import { writeResourceReport } from './resource-report-files.js';
import { TreeUsageTracker, type TreeUsage } from './tree-usage.js';

const work = mkdtempSync(path.join(tmpdir(), 'prmon-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const usage = (over: Partial<TreeUsage> = {}): TreeUsage => ({
  cpuSeconds: 0,
  userSeconds: 0,
  systemSeconds: 0,
  pssMB: 0,
  rssMB: 0,
  vsizeMB: 0,
  swapMB: 0,
  processCount: 1,
  threadCount: 1,
  io: { rchar: 0, wchar: 0, readBytes: 0, writeBytes: 0 },
  ...over,
});

// prmon's parameter lists (package/src/{wallmon,countmon,cpumon,memmon,iomon,nvidiamon}.h): the names
// and units its text file and JSON summary use, and which of them its "Avg" carries.
const PRMON_PARAMETERS = {
  wtime: { avg: false },
  nprocs: { avg: true },
  nthreads: { avg: true },
  utime: { avg: false },
  stime: { avg: false },
  vmem: { avg: true },
  pss: { avg: true },
  rss: { avg: true },
  swap: { avg: true },
  rchar: { avg: true },
  wchar: { avg: true },
  read_bytes: { avg: true },
  write_bytes: { avg: true },
};

describe('ResourceReport (prmon formats)', () => {
  it("names its columns and summary keys as prmon does, with prmon's Avg rules", () => {
    const report = new ResourceReport(0);
    report.add(1000, 0, usage({ pssMB: 1, rssMB: 2, vsizeMB: 4, processCount: 1, threadCount: 3 }));
    report.add(
      1010,
      10,
      usage({
        pssMB: 3,
        rssMB: 4,
        vsizeMB: 4,
        processCount: 3,
        threadCount: 5,
        userSeconds: 7.4,
        systemSeconds: 1.6,
        io: { rchar: 1000, wchar: 500, readBytes: 4096, writeBytes: 8192 },
      }),
    );
    const [header, ...rows] = report.timeSeries().trim().split('\n');
    expect(header?.split('\t')).toEqual([...PRMON_COLUMNS]);
    expect(new Set(header?.split('\t').slice(1))).toEqual(new Set(Object.keys(PRMON_PARAMETERS)));
    expect(rows).toEqual([
      '1000\t0\t1\t3\t0\t0\t1024\t2048\t0\t4096\t0\t0\t0\t0',
      '1010\t10\t3\t5\t2\t7\t3072\t4096\t0\t4096\t1000\t4096\t500\t8192',
    ]);
    const { Max, Avg } = report.summary();
    expect(Object.keys(Max).sort()).toEqual(Object.keys(PRMON_PARAMETERS).sort());
    expect(Object.keys(Avg).sort()).toEqual(
      Object.entries(PRMON_PARAMETERS)
        .filter(([, p]) => p.avg)
        .map(([k]) => k)
        .sort(),
    );
    expect(Max).toMatchObject({
      pss: 3072,
      rss: 4096,
      vmem: 4096,
      wtime: 10,
      utime: 7,
      stime: 2,
      rchar: 1000,
      write_bytes: 8192,
      nprocs: 3,
    });
    // Memory and counts average over samples; I/O averages are rates over the wall time (B/s).
    expect(Avg).toMatchObject({ pss: 2048, rss: 3072, nprocs: 2, nthreads: 4, rchar: 100, write_bytes: 819.2 });
    expect(report.jobParameters()).toMatchObject({ maxPSS: 3072, avgPSS: 2048, totRCHAR: 1000, rateWBYTES: 819, maxSWAP: 0 });
  });

  it('keeps one row per interval, and stays bounded on a very long job', () => {
    const report = new ResourceReport(30);
    for (let t = 0; t <= 120; t += 5) report.add(t, t, usage());
    expect(report.timeSeries().trim().split('\n')).toHaveLength(1 + 5);
    const long = new ResourceReport(1);
    for (let t = 0; t < 50_000; t++) long.add(t, t, usage());
    const lines = long.timeSeries().trim().split('\n').length;
    expect(lines).toBeLessThanOrEqual(20_001);
    expect(lines).toBeGreaterThan(10_000);
  });
});

describe('TreeUsageTracker I/O (a real process)', () => {
  it('counts what a process wrote, and keeps it after an orphan reaped outside the tree exits', async () => {
    const file = path.join(work, 'written');
    const child = spawn('sh', ['-c', `head -c 300000 /dev/zero > ${file}; sleep 30`], { stdio: 'ignore' });
    const tracker = new TreeUsageTracker();
    let seen = 0;
    for (let i = 0; i < 100 && seen < 300000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const stat = readProcStat(child.pid as number);
      if (stat) seen = tracker.update([stat]).io.wchar;
    }
    expect(seen).toBeGreaterThanOrEqual(300000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // Gone, and its parent (this test process) is not in the tree: its counters are kept.
    expect(tracker.update([]).io.wchar).toBe(seen);
  });
});

describe('writeResourceReport', () => {
  it('replaces what a hostile payload planted under the report names, writing none of their targets', () => {
    const jobDir = mkdtempSync(path.join(work, 'job-'));
    const secret = path.join(work, 'pilot-credentials.json');
    writeFileSync(secret, '{"access_token":"keep me"}');
    symlinkSync(secret, path.join(jobDir, 'prmon.txt'));
    linkSync(secret, path.join(jobDir, 'prmon.json'));
    const report = new ResourceReport(0);
    report.add(1, 0, usage());
    writeResourceReport(jobDir, report);
    expect(readFileSync(secret, 'utf8')).toBe('{"access_token":"keep me"}');
    expect(lstatSync(path.join(jobDir, 'prmon.txt')).isFile()).toBe(true);
    expect(JSON.parse(readFileSync(path.join(jobDir, 'prmon.json'), 'utf8'))).toHaveProperty('Max');
  });

  it('does not block on a FIFO planted under a report name', () => {
    const jobDir = mkdtempSync(path.join(work, 'fifo-'));
    execFileSync('mkfifo', [path.join(jobDir, 'prmon.txt')]);
    writeResourceReport(jobDir, new ResourceReport(0));
    expect(lstatSync(path.join(jobDir, 'prmon.txt')).isFile()).toBe(true);
  });

  it('refuses (throws) when the payload left a directory under that name, leaving no temporary file', () => {
    const jobDir = mkdtempSync(path.join(work, 'dir-'));
    mkdirSync(path.join(jobDir, 'prmon.txt'));
    expect(() => writeResourceReport(jobDir, new ResourceReport(0))).toThrow();
    expect(execFileSync('ls', ['-A', jobDir], { encoding: 'utf8' }).trim()).toBe('prmon.txt');
  });
});
