/**
 * A job's InputData, as DIRAC's JobWrapper.resolveInputData, InputDataResolution,
 * DownloadInputData and InputDataByProtocol handle it: LFNs resolved through the catalog
 * (replicas, then size/checksum/GUID), every file with a GUID or the job is not run; then the
 * policy modules in order, each taking what the previous could not resolve: download to the job
 * directory (size and Adler-32 checked against the catalog, next replica on any failure) or
 * TURLs handed out. The result is written as the pool_xml_catalog.xml payloads read.
 */
import { link, lstat, rm, statfs } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import type { Logger } from '../core/logger.js';
import { sameAdler32 } from './adler32.js';
import { policyFromModule } from './dirac-config.js';
import { DataError, asDataError } from './errors.js';
import { writePoolXmlCatalog } from './pool-xml.js';
import { orderReplicas, protocolReplicas } from './replicas.js';
import type { Storage } from './storage/index.js';
import { checkLfn, endpointUrl, protocolsSaid, transferEndpoints, urlEndpoints } from './storage/index.js';
import type { FileMetadata, InputDataPolicy, JobDataServices } from './types.js';

/** DIRAC's default policy module when the job names none (InputDataResolution runs the CS policy). */
const DEFAULT_MODULE = 'InputDataResolution';

export interface InputDataRequest {
  jobId: number;
  /** JDL InputData (LFN: prefixes allowed). */
  inputData: readonly string[];
  /** JDL InputDataPolicy: policy modules, first taking precedence; empty: the CS decides. */
  inputDataPolicy: readonly string[];
  /** JDL InputDataModule; null: DIRAC's InputDataResolution. */
  inputDataModule: string | null;
  jobDir: string;
  /** The job's share of the work directory's free space (0..1]. */
  diskShare: number;
}

export interface InputDataContext {
  services: JobDataServices;
  storage: Storage;
  signal: AbortSignal;
  /** No progress for this long fails a transfer (then the next replica is tried). */
  transferTimeoutMs: number;
  logger: Logger;
  /** Sets a job parameter (DIRAC: MissingLFNs, DownloadInputData, ProblematicTURLs). */
  setParameter(name: string, value: string): void;
}

export interface ResolvedReplica {
  lfn: string;
  se: string;
  pfn: string;
  guid: string;
  size: number;
  /** Downloaded / LocalData for a local copy; else the URL the payload opens. */
  turl: string;
  /** Local path, for downloaded files. */
  path?: string;
}

export interface InputDataResult {
  /** LFN → what the payload uses (several replicas only with AllReplicas and by protocol). */
  resolved: Map<string, ResolvedReplica[]>;
  /** Bytes the job's input amounts to (accounting InputDataSize). */
  totalSize: number;
  catalogFile: string;
}

interface CatalogEntry extends FileMetadata {
  replicas: Map<string, string>;
}

/** The failure DIRAC reschedules the job for (minor status "Input Data Resolution"). */
export class InputDataError extends DataError {}

function fail(message: string): never {
  throw new InputDataError('not-found', message);
}

/** What the catalog says about every LFN, or the reason the job cannot start (JobWrapper.__getReplicaMetadata). */
async function lookUp(lfns: readonly string[], ctx: InputDataContext): Promise<Map<string, CatalogEntry>> {
  const { catalog } = ctx.services;
  const replicas = await catalog.getReplicas(lfns);
  const bad: string[] = [];
  for (const [lfn, cause] of replicas.failed) bad.push(`LFN:${lfn} Problem: ${cause}`);
  for (const [lfn, reps] of replicas.successful) if (reps.size === 0) bad.push(`LFN:${lfn} Problem: Null replica value`);
  for (const lfn of lfns)
    if (!replicas.successful.has(lfn) && !replicas.failed.has(lfn)) bad.push(`LFN:${lfn} Problem: not in the catalog reply`);
  if (bad.length > 0) {
    ctx.setParameter('MissingLFNs', bad.join('\n'));
    fail('Input Data Not Available');
  }
  const metadata = await catalog.getFileMetadata(lfns);
  if (metadata.failed.size > 0) fail(`Missing GUIDs: ${[...metadata.failed.keys()].join(', ')}`);
  const out = new Map<string, CatalogEntry>();
  for (const lfn of lfns) {
    const meta = metadata.successful.get(lfn);
    if (!meta?.guid) fail('File metadata is not available');
    if (!Number.isSafeInteger(meta.size) || meta.size < 0) fail(`File metadata is not available (size of ${lfn})`);
    out.set(lfn, { ...meta, replicas: replicas.successful.get(lfn)! });
  }
  return out;
}

/** The policy modules to run: the job's InputDataPolicy, else the site's (CS), DIRAC's order. */
function policies(request: InputDataRequest, ctx: InputDataContext): InputDataPolicy[] {
  if (
    request.inputDataModule &&
    policyFromModule(request.inputDataModule) === undefined &&
    !request.inputDataModule.endsWith(DEFAULT_MODULE)
  ) {
    throw new InputDataError('other', `InputDataModule ${request.inputDataModule} is not supported by this pilot`);
  }
  const fromJob = request.inputDataPolicy.map((m) => {
    const p = policyFromModule(m);
    if (!p) throw new InputDataError('other', `InputDataPolicy module ${m} is not supported by this pilot`);
    return p;
  });
  return fromJob.length > 0 ? fromJob : [...ctx.services.config.inputDataPolicies];
}

/** Whether the catalog's checksum can be checked here (Adler-32; DIRAC stores "AD" or "ADLER32"). */
function adlerOf(entry: CatalogEntry): string | null {
  if (!entry.checksum) return null;
  const type = (entry.checksumType ?? 'ADLER32').toUpperCase();
  return type === 'AD' || type === 'ADLER32' ? entry.checksum : null;
}

/** LFN basename as a plain name inside the job directory: never a path, never `.`/`..`. */
export function localName(lfn: string): string {
  const name = basename(checkLfn(lfn));
  if (!name || name === '.' || name === '..' || name.includes('/') || name.includes('\0'))
    throw new DataError('bad-name', `LFN ${lfn} has no usable file name`);
  return name;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

/** DownloadInputData for one file: each replica in DIRAC's order until one arrives intact. */
async function download(
  lfn: string,
  entry: CatalogEntry,
  request: InputDataRequest,
  ctx: InputDataContext,
): Promise<ResolvedReplica | null> {
  const { config, credentials } = ctx.services;
  const name = localName(lfn);
  const final = join(request.jobDir, name);
  const candidates = orderReplicas(entry.replicas, config);
  if (await exists(final)) {
    // DIRAC takes a file of that name already in the job directory (from the input sandbox) as the data.
    ctx.logger.info({ lfn, path: final }, 'input data file already in the job directory; using it (LocalData)');
    const first = candidates[0];
    return { lfn, se: first?.se ?? '', pfn: first?.pfn ?? lfn, guid: entry.guid!, size: entry.size, turl: 'LocalData', path: final };
  }
  const expected = adlerOf(entry);
  // Downloaded under a temporary name, linked to its own name once checked: nothing the job
  // placed there is written through, and a half-downloaded file never carries the LFN's name.
  const partial = join(request.jobDir, `.${name}.part-${request.jobId}`);
  for (const replica of candidates) {
    const se = config.storageElements.get(replica.se)!;
    // StorageElement.getFile: the SE's AccessProtocols decide which sections, in which order.
    const endpoints = transferEndpoints(se, 'read', config.siteSEs.includes(replica.se));
    if (endpoints.length === 0)
      ctx.logger.warn({ lfn, se: replica.se, protocols: protocolsSaid(se, 'read') }, 'no section of this SE may be read from here');
    for (const endpoint of endpoints) {
      const url = endpointUrl(endpoint, lfn);
      try {
        await rm(partial, { force: true });
        const got = await ctx.storage.download(url, partial, {
          signal: ctx.signal,
          credentials,
          timeoutMs: ctx.transferTimeoutMs,
          ...(expected ? { expectedAdler32: expected } : {}),
          expectedSize: entry.size,
        });
        if (got.size !== entry.size) throw new DataError('corrupt', `${url}: ${got.size} bytes, the catalog says ${entry.size}`);
        if (expected && got.adler32 !== null && !sameAdler32(got.adler32, expected)) {
          throw new DataError('corrupt', `${url}: Adler-32 ${got.adler32}, the catalog says ${expected}`);
        }
        await link(partial, final);
        await rm(partial, { force: true });
        ctx.logger.info({ lfn, se: replica.se, url, size: got.size }, 'input data downloaded');
        return { lfn, se: replica.se, pfn: replica.pfn, guid: entry.guid!, size: got.size, turl: 'Downloaded', path: final };
      } catch (error) {
        await rm(partial, { force: true });
        const e = asDataError(error);
        if (e.kind === 'aborted' || e.kind === 'no-space') throw e;
        ctx.logger.warn({ lfn, se: replica.se, url, kind: e.kind, err: e.message }, 'input data download failed; trying the next replica');
      }
    }
  }
  return null;
}

/** InputDataByProtocol for one file: the TURLs of its local replicas (and remote ones with AllReplicas). */
function byProtocol(lfn: string, entry: CatalogEntry, ctx: InputDataContext): ResolvedReplica[] {
  const { config } = ctx.services;
  const out: ResolvedReplica[] = [];
  for (const replica of protocolReplicas(entry.replicas, config)) {
    const se = config.storageElements.get(replica.se)!;
    // StorageElement.getURL with the policy's protocol list (all the SE's when none is given).
    const endpoint = urlEndpoints(se, replica.local ? config.localProtocols : config.remoteProtocols)[0];
    if (!endpoint) continue;
    out.push({ lfn, se: replica.se, pfn: replica.pfn, guid: entry.guid!, size: entry.size, turl: endpointUrl(endpoint, lfn) });
  }
  return config.allReplicas ? out : out.slice(0, 1);
}

/** DownloadInputData's disk check: the whole input plus DIRAC's output buffer must fit the job's share. */
async function checkDiskSpace(totalSize: number, request: InputDataRequest, ctx: InputDataContext): Promise<void> {
  const fs = await statfs(request.jobDir);
  const free = Number(fs.bavail) * Number(fs.bsize);
  const share = Math.floor(free * Math.min(1, Math.max(0, request.diskShare)));
  const needed = totalSize + ctx.services.config.outputBufferBytes;
  if (needed >= share) {
    throw new InputDataError(
      'no-space',
      `Not enough disk space available for download: ${needed} bytes (input ${totalSize} + output buffer ${ctx.services.config.outputBufferBytes}) > ${share} bytes (the job's share of ${free} free)`,
    );
  }
}

/** The job's share of the work directory: its processors over the node's. */
export function diskShareFor(processors: number): number {
  return Math.min(1, Math.max(processors, 1) / Math.max(availableParallelism(), 1));
}

export async function resolveInputData(request: InputDataRequest, ctx: InputDataContext): Promise<InputDataResult> {
  const lfns = [...new Set(request.inputData.map((l) => checkLfn(l)))];
  if (lfns.length === 0)
    throw new InputDataError('other', 'Job Wrapper cannot resolve local replicas of input data with null job input data parameter');
  const names = new Map<string, string>();
  for (const lfn of lfns) {
    const name = localName(lfn);
    if (names.has(name))
      throw new InputDataError('bad-name', `InputData ${names.get(name)} and ${lfn} would both be ${name} in the job directory`);
    names.set(name, lfn);
  }
  const order = policies(request, ctx);
  const catalog = await lookUp(lfns, ctx);
  const totalSize = [...catalog.values()].reduce((n, e) => n + e.size, 0);

  const resolved = new Map<string, ResolvedReplica[]>();
  let pending = [...lfns];
  const report: string[] = [];
  for (const policy of order) {
    if (pending.length === 0) break;
    const failed: string[] = [];
    if (policy === 'DownloadInputData') {
      await checkDiskSpace(
        pending.reduce((n, l) => n + catalog.get(l)!.size, 0),
        request,
        ctx,
      );
      for (const lfn of [...pending].sort()) {
        const got = await download(lfn, catalog.get(lfn)!, request, ctx);
        if (got) resolved.set(lfn, [got]);
        else failed.push(lfn);
      }
      const done = pending.filter((l) => resolved.has(l));
      if (done.length > 0) report.push(`Successfully downloaded ${done.length} LFN(s):\n${done.sort().join('\n')}`);
      if (failed.length > 0) report.push(`Failed to download ${failed.length} LFN(s):\n${failed.sort().join('\n')}`);
    } else {
      for (const lfn of pending) {
        const turls = byProtocol(lfn, catalog.get(lfn)!, ctx);
        if (turls.length > 0) resolved.set(lfn, turls);
        else failed.push(lfn);
      }
    }
    ctx.logger.info({ policy, resolved: pending.length - failed.length, failed: failed.length }, 'input data policy applied');
    pending = failed;
  }
  if (report.length > 0) ctx.setParameter('DownloadInputData', report.join('\n'));
  if (pending.length > 0) {
    ctx.logger.error({ lfns: pending }, 'input data not accessible');
    if (resolved.size === 0) fail('Could not access any requested input data');
    fail('Failed to access some of requested input data');
  }
  const catalogFile = await writePoolXmlCatalog(request.jobDir, resolved);
  return { resolved, totalSize, catalogFile };
}
