import type { ProcStat } from './proc-parsers.js';
import { processEnvValues, processKey, readProcessTable, DEFAULT_PROC_ROOT } from './process-table.js';

/**
 * What identifies one payload's processes. A payload escapes a naive "children of the pid" view in
 * three ways, and each seed below catches one of them:
 *  - its descendants are children of children: closure over PPid;
 *  - a double-forked daemon is re-parented away (to init, or to us when we are a child subreaper):
 *    it keeps the payload's session unless it called setsid(), so we also take the session;
 *  - a daemon that did call setsid() still carries the payload's initial environment, so we also
 *    take every process whose /proc/<pid>/environ holds the payload's marker variable.
 * Only a process that both left the session and exec'd with a fresh environment escapes all three
 * when we are not a subreaper (docs/payload.md, "Supervision guarantees").
 */
export interface PayloadIdentity {
  rootPid: number;
  /**
   * Boot-relative clock ticks taken just before the spawn: nothing started earlier can descend from
   * the payload, which spares reading the environment of every older process on the node.
   */
  notBeforeTicks: number;
  /** The payload runs detached: its session (and process group) id is its own pid. */
  sessionId: number;
  marker: { name: string; value: string };
  /**
   * Set once the root has been reaped. Its pid may then be recycled, and a new session leader could
   * take our session id, so from then on the root and session seeds only hold for processes that
   * already existed (later children are still found through their parents and the marker).
   */
  rootExitedAtTicks?: number;
}

export interface TreeScanOptions {
  procRoot?: string;
  /** The pilot itself: never part of a payload, whatever its environment says. */
  selfPid?: number;
  /** Processes seen in the tree before: their children stay claimed even if the link is hidden. */
  known?: ReadonlySet<string>;
  /**
   * Only while the pilot is a child subreaper and this is the only payload running: also claim
   * processes re-parented to the pilot that left the pilot's session (an orphan that called
   * setsid() and cleared its environment has no other link back to the payload). `selfSession`
   * tells them apart from helpers the pilot spawned itself, which share its session; payload roots
   * of other jobs are listed in `excludePids`.
   */
  claimOrphans?: { selfSession: number; excludePids: ReadonlySet<number> };
}

/** The payload's processes (zombies included: the caller decides what a zombie means). */
export function findPayloadTree(
  identity: PayloadIdentity,
  options: TreeScanOptions = {},
  table: Map<number, ProcStat> = readProcessTable(options.procRoot ?? DEFAULT_PROC_ROOT),
): ProcStat[] {
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const selfPid = options.selfPid ?? process.pid;
  const members = new Map<number, ProcStat>();
  const childrenOf = new Map<number, ProcStat[]>();

  for (const stat of table.values()) {
    const siblings = childrenOf.get(stat.ppid);
    if (siblings) siblings.push(stat);
    else childrenOf.set(stat.ppid, [stat]);
    if (stat.pid === selfPid) continue;
    // Anything started before the payload cannot descend from it: skip the costly checks.
    if (stat.startTicks < identity.notBeforeTicks) continue;
    if (isSeed(stat, identity, procRoot, options.known) || isClaimedOrphan(stat, selfPid, options.claimOrphans)) {
      members.set(stat.pid, stat);
    }
  }

  const queue = [...members.values()];
  while (queue.length > 0) {
    const parent = queue.pop() as ProcStat;
    for (const child of childrenOf.get(parent.pid) ?? []) {
      if (child.pid === selfPid || members.has(child.pid)) continue;
      members.set(child.pid, child);
      queue.push(child);
    }
  }
  return [...members.values()];
}

function isSeed(stat: ProcStat, identity: PayloadIdentity, procRoot: string, known?: ReadonlySet<string>): boolean {
  if (known?.has(processKey(stat))) return true;
  const beforeRootExit = identity.rootExitedAtTicks === undefined || stat.startTicks <= identity.rootExitedAtTicks;
  if (identity.rootExitedAtTicks === undefined && stat.pid === identity.rootPid) return true;
  if (beforeRootExit && (stat.session === identity.sessionId || stat.pgrp === identity.sessionId)) return true;
  // Zombies have an empty environ; they are caught by session or ancestry instead.
  if (stat.state === 'Z') return false;
  return processEnvValues(stat, identity.marker.name, procRoot).includes(identity.marker.value);
}

function isClaimedOrphan(stat: ProcStat, selfPid: number, claim: TreeScanOptions['claimOrphans']): boolean {
  return claim !== undefined && stat.ppid === selfPid && stat.session !== claim.selfSession && !claim.excludePids.has(stat.pid);
}

/** Processes that still run (or could run again): everything but zombies and dead entries. */
export function liveMembers(tree: readonly ProcStat[]): ProcStat[] {
  return tree.filter((stat) => stat.state !== 'Z' && stat.state !== 'X');
}
