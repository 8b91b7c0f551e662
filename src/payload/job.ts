/**
 * One job as the payload layer sees it, whichever backend matched it and whatever form
 * (JDL or JSON) its description came in. Built by `describeJob()` in job-description.ts.
 */
export interface JobDescription {
  jobId: number;
  executable: string;
  arguments: string[];
  /** `SB:…` PFNs (DiracX) or `LFN:`/plain names (legacy DIRAC). */
  inputSandbox: string[];
  /** Glob patterns of files to return from the job directory. */
  outputSandbox: string[];
  stdOutput: string;
  stdError: string;
  /** Requested CPU work (DIRAC CPUTime, HS06·s). */
  cpuTime: number | null;
  /** Wall-clock limit in seconds, when the job gives one. */
  maxWallTime: number | null;
  /** Processors asked for: NumberOfProcessors, else MinNumberOfProcessors, else 1. */
  processors: { min: number; max: number };
  wholeNode: boolean;
  numberOfGPUs: number;
  /**
   * Memory, MB (DIRAC v9 #8366): `MinRAM` is the request (what the match advertises and the slot
   * reserves), `MaxRAM` the limit (what is enforced). Either may stand alone: a lone MaxRAM is
   * both, as in DIRAC's Pool CE. Null when the job does not say.
   */
  minRAMMB: number | null;
  maxRAMMB: number | null;
  /** JDL `MemoryNoSwap`: the limit holds for RAM and swap together (cgroup v2 memory.swap.max = 0). */
  memoryNoSwap: boolean;
  tags: string[];
  platform: string | null;
  /** Extra environment variables the job asks for (JDL `Environment = {"K=V", …}`). */
  environment: Record<string, string>;
  /** Container image the job asks for; null means the pilot's configured default. */
  containerImage: string | null;
  /**
   * The job asks for its owner's token (JDL `PayloadToken = True`): it gets it as a file named by
   * BEARER_TOKEN_FILE (the WLCG bearer-token discovery variable). Otherwise it never sees one.
   */
  payloadToken: boolean;
  /** Owner, group and VO, from the match reply. */
  owner: string;
  ownerGroup: string;
  vo: string;
  /** Every key of the original description, values as parsed. */
  raw: Record<string, unknown>;
}
