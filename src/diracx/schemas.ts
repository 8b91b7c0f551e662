import { z } from 'zod';
import { JOB_STATUSES } from '../backend/types.js';

/**
 * Reply schemas, written from spec/diracx-openapi.json (tests check they agree with it).
 * Objects are not strict: a newer server may add fields, and that must not break a pilot.
 */

export const TokenResponseSchema = z.object({
  access_token: z.string().min(1),
  expires_in: z.number().int(),
  token_type: z.string().optional(),
  refresh_token: z.string().nullish(),
});
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

export const JobCommandSchema = z.object({
  job_id: z.number().int(),
  command: z.string(),
  arguments: z.string().nullish(),
});
export const HeartbeatReplySchema = z.array(JobCommandSchema);

const nullableString = z.string().nullish();
export const SetJobStatusReturnSchema = z.object({
  success: z.record(
    z.object({
      Status: z.enum(JOB_STATUSES).nullish(),
      MinorStatus: nullableString,
      ApplicationStatus: nullableString,
      HeartBeatTime: nullableString,
      StartExecTime: nullableString,
      EndExecTime: nullableString,
      LastUpdateTime: nullableString,
    }),
  ),
  failed: z.record(z.record(z.string())),
});

export const RescheduleReplySchema = z.record(z.unknown());

export const SandboxDownloadResponseSchema = z.object({
  url: z.string().url(),
  expires_in: z.number().int(),
});

export const SandboxUploadResponseSchema = z.object({
  pfn: z.string().min(1),
  url: z.string().url().nullish(),
  fields: z.record(z.string()).default({}),
});

/** The provisional match reply (DESIGN.md "The wire"); not a DiracX endpoint yet. */
export const MatchReplySchema = z.object({
  jobs: z.array(
    z.object({
      job_id: z.number().int().positive(),
      jdl: z.string(),
      owner: z.string(),
      owner_group: z.string(),
      vo: z.string(),
      credentials: z
        .object({
          access_token: z.string().min(1),
          expires_in: z.number().int(),
          refresh_token: z.string().nullish(),
        })
        .nullish(),
    }),
  ),
});

/** The same PFN pattern the spec puts on `GET /api/jobs/sandbox?pfn=` and the output assignment. */
export const SANDBOX_PFN = /^(:?SB:[A-Za-z]+\|)?\/S3\/[a-z0-9.-]{3,63}(?:\/[^/]+){3}\/[a-z0-9]{3,10}:[0-9a-f]{64}\.[a-z0-9.]+$/;

/** HeartbeatData is `extra=forbid`: the six numbers below plus StandardOutput, nothing else. */
export const HEARTBEAT_NUMERIC_KEYS = ['LoadAverage', 'MemoryUsed', 'Vsize', 'AvailableDiskSpace', 'CPUConsumed', 'WallClockTime'] as const;

/** PilotMetadata is `extra=forbid` too; anything else would be a 422. */
export const PILOT_METADATA_KEYS = [
  'Status',
  'StatusReason',
  'BenchMark',
  'DestinationSite',
  'Queue',
  'GridSite',
  'GridType',
  'AccountingSent',
  'CurrentJobID',
] as const;
