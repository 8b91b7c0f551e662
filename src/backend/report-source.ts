/**
 * The Source a job's status updates carry, which the job-logging view (DIRAC's web portal,
 * `dirac-wms-job-logging-info`, DiracX's job history) shows beside each record. These are the
 * labels of DIRAC v9's own pilot, on both backends (docs/architecture.md, "One job"):
 *
 * - the JobAgent makes each matched job's report with `JobAgent@<site>`, the site being what the
 *   pilot runs as (/LocalSite/Site); every JobAgent update of that job carries it (Job Received by
 *   Agent, Installing Software, Submitting To CE, the Rescheduled of a job it gives back);
 * - the job wrapper reports as plain `JobWrapper`: the script DIRAC's JobAgent starts for a job
 *   (JobWrapperTemplate) makes the job's report with that source and hands it to the JobWrapper,
 *   so the JobWrapper's own `JobWrapper@<site>`, used only where it is built without a report,
 *   never reaches a job a JobAgent ran.
 *
 * Both start with "Job", which is what makes the servers refresh the job's HeartBeatTime. The
 * servers keep 32 characters of a Source (the StatusSource column); the label is sent whole and
 * cut there, as DIRAC's own pilot's is.
 */

/** The job wrapper's Source. */
export const JOB_WRAPPER_SOURCE = 'JobWrapper';

/** The site of a pilot that was not told one (the -n default). */
export const UNNAMED_SITE = 'Unknown';

/** The job agent's Source for the jobs of a pilot running at `site`. */
export function jobAgentSource(site: string): string {
  const named = site.trim();
  return `JobAgent@${named === '' ? UNNAMED_SITE : named}`;
}
