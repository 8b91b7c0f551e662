import type { Backend, MatchedJob, StatusUpdate } from '../../src/backend/types.js';

/**
 * A backend whose match replies are given as they are (one reply per match call, then empty ones),
 * with what the agent told it recorded: the statuses it set and the jobs it gave back. For the job
 * agent's and the edge agent's tests of how a match reply is checked (issue 15).
 */
export function replyingBackend(replies: MatchedJob[][]): { backend: Backend; statuses: [number, StatusUpdate][]; rescheduled: number[] } {
  const statuses: [number, StatusUpdate][] = [];
  const rescheduled: number[] = [];
  const backend = {
    kind: 'diracx',
    match: async () => replies.shift() ?? [],
    setJobStatus: async (id: number, u: StatusUpdate) => void statuses.push([id, u]),
    setJobMetadata: async () => undefined,
    reschedule: async (ids: number[]) => void rescheduled.push(...ids),
    heartbeat: async () => [],
    downloadSandbox: async () => undefined,
    uploadOutputSandbox: async () => 'SB:x',
  } as unknown as Backend;
  return { backend, statuses, rescheduled };
}

/** A matched job of owner `o` with no token. */
export function matchedJob(jobId: number, jdl: string): MatchedJob {
  return { jobId, jdl, owner: 'o', ownerGroup: 'g', vo: 'v', credentials: null };
}
