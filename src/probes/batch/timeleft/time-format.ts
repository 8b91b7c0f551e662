/**
 * Duration formats the batch systems print, parsed to seconds. Each parser returns null for text
 * it does not recognise, so callers can say which field was malformed.
 */

/** Slurm: `[days-]hours:minutes:seconds`, `minutes:seconds` (sacct Timelimit, squeue %l/%M, scontrol). */
export function parseSlurmDuration(text: string): number | null {
  const match = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec(text.trim());
  if (!match) return null;
  const [, days, hours, minutes, seconds] = match;
  if (days !== undefined && hours === undefined) return null;
  return ((Number(days ?? 0) * 24 + Number(hours ?? 0)) * 60 + Number(minutes)) * 60 + Number(seconds);
}

/** PBS/Torque and LSF: `hours:minutes:seconds[.fraction]` (hours may exceed 24), or plain seconds. */
export function parseHmsDuration(text: string): number | null {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const match = /^(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(trimmed);
  if (!match) return null;
  const [, hours, minutes, seconds] = match;
  return (Number(hours) * 60 + Number(minutes)) * 60 + Number(seconds);
}

/** SGE usage and limits: `[days:]hours:minutes:seconds`, or plain seconds. */
export function parseSgeDuration(text: string): number | null {
  const trimmed = text.trim();
  const fourFields = /^(\d+):(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(trimmed);
  if (fourFields) {
    const [, days, hours, minutes, seconds] = fourFields;
    return ((Number(days) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds);
  }
  return parseHmsDuration(trimmed);
}
