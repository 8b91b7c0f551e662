export const KILL_REASONS = [
  'wallclock',
  'cpu',
  'memory',
  'disk',
  'stdout',
  'stalled',
  'looping',
  'timeleft',
  'server',
  'pilot-signal',
] as const;
export type KillReason = (typeof KILL_REASONS)[number];

/**
 * The minor status each kill reports. DIRAC's own strings (JobMinorStatus.py, Watchdog.py) where
 * DIRAC has one, so existing monitoring and user scripts keep matching; short precise phrases for
 * the checks DIRAC lacks. Stable strings: details (numbers) go to the log and the kill detail, not here.
 */
export const KILL_MINOR_STATUS: Readonly<Record<KillReason, string>> = {
  wallclock: 'Job has exceeded maximum wall clock time',
  cpu: 'Job has exceeded maximum CPU time limit',
  memory: 'Memory limit exceeded',
  disk: 'Job has insufficient disk space to continue',
  stdout: 'Standard output exceeded limit',
  stalled: 'Watchdog identified this job as stalled',
  looping: 'Watchdog identified this job as looping',
  timeleft: 'Job has reached the CPU limit of the queue',
  server: 'Received Kill signal',
  'pilot-signal': 'Pilot received a signal: job killed',
};
