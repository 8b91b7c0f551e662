/**
 * DIRAC v9 with DiracX enabled for the VO (`--backend dirac+diracx`, or `--backend dirac` when the
 * CS switches JobStateUpdate to DiracX): one Backend made of the legacy DIRAC backend and the
 * DiracX backend, each call sent where v9's own clients send it (docs/legacy-dirac.md, "DIRAC v9
 * with DiracX"). Neither backend knows the other; this module, in the glue layer, composes them.
 *
 * The split, from v9's code:
 * - JobStateUpdate (job statuses, job parameters, heartbeats) → DiracX: its client has a
 *   FutureClient (WorkloadManagementSystem/FutureClient/JobStateUpdateClient.py) that
 *   ClientSelector picks when `/DiracX/FutureClientEnabled/WorkloadManagement/JobStateUpdate` is on;
 *   it calls `set_job_statuses`, `patch_metadata` and `add_heartbeat`.
 * - Everything else stays on DIRAC, because those clients have no FutureClient: the Matcher,
 *   PilotManager (pilot registration and status), JobManager (`rescheduleJob`), ProxyManager (the
 *   payload proxy) and the SandboxStore (SandboxStoreClient talks to the SandboxStore service,
 *   which keeps the bytes in DiracX's store itself when `UseDiracXBackend` is set).
 */
import type { Backend, HeartbeatData, JobCommand, MatchedJob, OutputSandboxArchive, StatusUpdate } from '../backend/types.js';
import { isPilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

/** The legacy side: the DIRAC backend as the composite uses it. */
export type LegacySide = Backend;
/** The DiracX side: the DiracX backend, with the pilot's token from the proxy's DIRACX block. */
export type DiracxSide = Backend;

export function composeMixedBackend(legacy: LegacySide, diracx: DiracxSide): Backend {
  const both = async (call: (b: Backend) => Promise<void>): Promise<void> => {
    const results = await Promise.allSettled([call(diracx), call(legacy)]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  // Once DiracX refused the pilot's token (after its refresh) or its TLS, DIRAC's Matcher would still
  // hand out jobs to the proxy, and DiracX's status queue would take the refusal for an outage and
  // spool the next job's reports: that job would run with nobody able to report it. So the refusal
  // is kept: a job with no report through yet gets it at its first report (and is handed back by
  // DIRAC's JobManager, which the proxy still reaches), and no further job is matched. Jobs already
  // reported go on as in DiracX mode (their updates spooled for the next pilot).
  let refused: Error | null = null;
  const reported = new Set<number>();
  const noteRefusal = (error: unknown): never => {
    if (isPilotError(error) && (error.exitCode === ExitCode.AUTH_REFUSED || error.exitCode === ExitCode.TLS)) refused ??= error;
    throw error;
  };
  const setJobStatus = async (jobId: number, update: StatusUpdate): Promise<void> => {
    if (refused && !reported.has(jobId)) throw refused;
    await diracx.setJobStatus(jobId, update).catch(noteRefusal);
    reported.add(jobId);
  };
  const mixed: Backend = {
    kind: 'dirac+diracx',
    // Sandboxes go through DIRAC's SandboxStore: DIRAC v9 clients read them back (no zstd before Python 3.14).
    ...(legacy.outputSandboxFormat ? { outputSandboxFormat: legacy.outputSandboxFormat } : {}),
    // Heartbeats go to DiracX, whose add_heartbeat keeps the state machine: a Killed job stays
    // Killed, so the pilot does not report the end itself (FutureClient sendHeartBeat's docstring).
    ...(diracx.killedJobsEndFailed !== undefined ? { killedJobsEndFailed: diracx.killedJobsEndFailed } : {}),
    registerPilot: (info) => legacy.registerPilot(info),
    setPilotStatus: (status, reason, extra) => legacy.setPilotStatus(status, reason, extra),
    match: (request) => (refused ? Promise.reject(refused) : legacy.match(request)),
    setJobStatus,
    heartbeat: (beats: ReadonlyMap<number, HeartbeatData>): Promise<JobCommand[]> => diracx.heartbeat(beats),
    setJobMetadata: (jobId, metadata) => diracx.setJobMetadata(jobId, metadata),
    async reschedule(jobIds: number[]) {
      // As v9's JobAgent: the Rescheduled status reaches the JobDB (through DiracX) before
      // JobManager.rescheduleJob puts the job back in the queue, never after it.
      if (!refused) await diracx.flush();
      await legacy.reschedule(jobIds);
    },
    downloadSandbox: (job: MatchedJob, pfn: string, destFile: string) => legacy.downloadSandbox(job, pfn, destFile),
    uploadOutputSandbox: (job: MatchedJob, archive: OutputSandboxArchive) => legacy.uploadOutputSandbox(job, archive),
    flush: () => both((b) => b.flush()),
    close: () => both((b) => b.close()),
  };
  // The optional parts, each from the side that has it in this split.
  const vo = diracx.tokenVo?.bind(diracx);
  if (vo) mixed.tokenVo = vo;
  if (legacy.serverTime) mixed.serverTime = legacy.serverTime.bind(legacy);
  if (legacy.dataServices) mixed.dataServices = legacy.dataServices.bind(legacy);
  if (legacy.createPilotLogShipper) mixed.createPilotLogShipper = legacy.createPilotLogShipper.bind(legacy);
  if (diracx.onServerKill) mixed.onServerKill = diracx.onServerKill.bind(diracx);
  if (diracx.spoolNow) mixed.spoolNow = diracx.spoolNow.bind(diracx);
  mixed.forgetJob = (jobId) => {
    reported.delete(jobId);
    diracx.forgetJob?.(jobId);
    legacy.forgetJob?.(jobId);
  };
  mixed.neverAnswered = () => legacy.neverAnswered?.() ?? diracx.neverAnswered?.() ?? null;
  return mixed;
}
