import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProcStat } from './proc-parsers.js';
import { findPayloadTree, liveMembers, type PayloadIdentity } from './process-tree.js';

const SELF = 100;
const SELF_SESSION = 50;
const procRoot = mkdtempSync(path.join(tmpdir(), 'fake-proc-'));
afterAll(() => rmSync(procRoot, { recursive: true, force: true }));

function proc(pid: number, ppid: number, fields: Partial<ProcStat> = {}, environ = ''): ProcStat {
  mkdirSync(path.join(procRoot, String(pid)), { recursive: true });
  writeFileSync(path.join(procRoot, String(pid), 'environ'), environ);
  return {
    pid,
    ppid,
    comm: 'x',
    state: 'S',
    pgrp: ppid,
    session: SELF_SESSION,
    utime: 0,
    stime: 0,
    cutime: 0,
    cstime: 0,
    startTicks: 1000,
    vsizeBytes: 0,
    rssPages: 0,
    threads: 1,
    ...fields,
  };
}

const identity: PayloadIdentity = { rootPid: 200, sessionId: 200, notBeforeTicks: 900, marker: { name: 'M', value: 'job1' } };
const table = (...procs: ProcStat[]) => new Map(procs.map((p) => [p.pid, p]));
const pids = (tree: ProcStat[]) => tree.map((p) => p.pid).sort((a, b) => a - b);

describe('findPayloadTree', () => {
  const base = [
    proc(1, 0, { startTicks: 1 }),
    proc(SELF, 1, { startTicks: 10 }, 'M=job1\0'),
    proc(200, SELF, { session: 200, pgrp: 200 }),
    proc(201, 200, { session: 200, pgrp: 200 }),
    proc(202, 201, { session: 777, pgrp: 777 }), // child that called setsid: still a descendant
    proc(300, 1, { session: 200, pgrp: 200 }), // re-parented to init, kept the session
    proc(400, 1, { session: 400, pgrp: 400 }, 'A=1\0M=job1\0'), // setsid daemon: only the marker links it
    proc(401, 400, { session: 400, pgrp: 400 }), // its child
    proc(500, 1, { session: 500 }, 'M=job2\0'), // another job's daemon
    proc(600, SELF, { session: SELF_SESSION }), // a helper the pilot spawned
    proc(700, 1, { session: 200, startTicks: 5 }), // older than the payload: cannot be ours
  ];

  it('takes descendants, the session, and marker carriers with their children; never the pilot', () => {
    expect(pids(findPayloadTree(identity, { procRoot, selfPid: SELF }, table(...base)))).toEqual([200, 201, 202, 300, 400, 401]);
  });

  it("reads a process's environment once, whichever payload asks; a recycled pid is read afresh", () => {
    // Pids of their own: the environ answers are cached for the process's life (pid and start time).
    const daemon = proc(4000, 1, { session: 4000, pgrp: 4000 }, 'M=job1\0');
    expect(pids(findPayloadTree(identity, { procRoot, selfPid: SELF }, table(daemon)))).toEqual([4000]);
    // Rewritten behind the cache: the second payload's watchdog gets the first read's answer.
    writeFileSync(path.join(procRoot, '4000', 'environ'), 'M=job2\0');
    const job2: PayloadIdentity = { ...identity, rootPid: 210, sessionId: 210, marker: { name: 'M', value: 'job2' } };
    expect(pids(findPayloadTree(job2, { procRoot, selfPid: SELF }, table(daemon)))).toEqual([]);
    expect(pids(findPayloadTree(identity, { procRoot, selfPid: SELF }, table(daemon)))).toEqual([4000]);
    // The same pid, started later, is another process: its environment is read.
    const recycled = proc(4000, 1, { session: 4000, pgrp: 4000, startTicks: 5000 }, 'M=job2\0');
    expect(pids(findPayloadTree(job2, { procRoot, selfPid: SELF }, table(recycled)))).toEqual([4000]);
    expect(pids(findPayloadTree(identity, { procRoot, selfPid: SELF }, table(recycled)))).toEqual([]);
  });

  it('after the root exited, a recycled session id does not pull in strangers', () => {
    const after: PayloadIdentity = { ...identity, rootExitedAtTicks: 2000 };
    const recycled = proc(200, 1, { session: 200, pgrp: 200, startTicks: 3000 });
    const recycledChild = proc(203, 200, { session: 200, pgrp: 200, startTicks: 3001 });
    const tree = findPayloadTree(after, { procRoot, selfPid: SELF }, table(...base.filter((p) => p.pid !== 200), recycled, recycledChild));
    expect(pids(tree)).toEqual([201, 202, 300, 400, 401]);
  });

  it('claims orphans re-parented to the subreaper pilot only outside the pilot session and not other payload roots', () => {
    const orphan = proc(800, SELF, { session: 800, pgrp: 800 });
    const otherRoot = proc(900, SELF, { session: 900, pgrp: 900 });
    const claim = { selfSession: SELF_SESSION, excludePids: new Set([200, 900]) };
    const tree = findPayloadTree(identity, { procRoot, selfPid: SELF, claimOrphans: claim }, table(...base, orphan, otherRoot));
    expect(pids(tree)).toEqual([200, 201, 202, 300, 400, 401, 800]);
  });

  it('keeps processes it has seen before, through the known set', () => {
    const lonely = proc(1000, 1, { session: 1000, startTicks: 1500 });
    expect(pids(findPayloadTree(identity, { procRoot, selfPid: SELF, known: new Set(['1000:1500']) }, table(lonely)))).toEqual([1000]);
    expect(pids(findPayloadTree(identity, { procRoot, selfPid: SELF, known: new Set(['1000:1499']) }, table(lonely)))).toEqual([]);
  });

  it('liveMembers drops zombies', () => {
    expect(pids(liveMembers([proc(1, 0), proc(2, 1, { state: 'Z' }), proc(3, 1, { state: 'D' })]))).toEqual([1, 3]);
  });
});
