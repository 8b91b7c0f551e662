/**
 * DiracX types some of the fields of `PATCH /api/jobs/metadata` (JobMetaData in
 * spec/diracx-openapi.json): an integer field refuses a number with a fraction and a string field
 * refuses a number, each with a 422 for the whole request. DIRAC's job parameters are free text,
 * and the pilot's own values are not always of DiracX's type: the CPU power is fractional (DB12
 * reads 19.87), and the one request that carries the start parameters (Site, HostName, GridCE, …)
 * was refused whole. Each value is given DiracX's type before it is sent; keys DiracX does not
 * declare are stored as job parameters as they are. The lists are pinned to the spec by a test.
 */

/** Declared `integer`: a fractional value is rounded (CPUNormalizationFactor 12.5 → 13). */
export const JOB_METADATA_INTEGERS: readonly string[] = [
  'CPUNormalizationFactor',
  'NormCPUTime(s)',
  'TotalCPUTime(s)',
  'Memory(MB)',
  'PayloadPID',
  'UserPriority',
  'RescheduleCounter',
];

/** Declared `string`: a number is sent as its decimal text. */
export const JOB_METADATA_STRINGS: readonly string[] = [
  'HostName',
  'GridCE',
  'ModelName',
  'PilotAgent',
  'Pilot_Reference',
  'LocalAccount',
  'CEQueue',
  'BatchSystem',
  'JobType',
  'JobStatus',
  'JobGroup',
  'Site',
  'JobName',
  'Owner',
  'OwnerGroup',
  'VO',
  'Status',
  'MinorStatus',
  'ApplicationStatus',
];

const INTEGERS = new Set(JOB_METADATA_INTEGERS);
const STRINGS = new Set(JOB_METADATA_STRINGS);

/** The metadata with every declared field in DiracX's type; a value that cannot be made so is left out. */
export function toJobMetaData(values: Record<string, string | number>): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [key, value] of Object.entries(values)) {
    if (INTEGERS.has(key)) {
      const number = typeof value === 'number' ? value : Number(value);
      // Left out rather than refused with everything else in the request.
      if (typeof value === 'string' && value.trim() === '') continue;
      if (Number.isFinite(number)) out[key] = Math.round(number);
    } else if (STRINGS.has(key)) {
      out[key] = String(value);
    } else {
      out[key] = value;
    }
  }
  return out;
}
