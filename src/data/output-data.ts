/**
 * A job's OutputData, as DIRAC's JobWrapper.processJobOutputs/__transferOutputDataFiles and
 * FailoverTransfer handle it: each file gets an LFN (the job's own `LFN:` name, else
 * /<vo>/<LFNUserPrefix>/<o>/<owner>/<OutputPath | jobID/1000/jobID>/<name>), its size, Adler-32
 * and GUID; it goes to the first OutputSE that takes it (site SEs first) and is registered in the
 * catalog. When no OutputSE takes it, it goes to a failover SE and the job's failover request gets
 * ReplicateAndRegister (to the intended SE) and RemoveReplica (of the failover copy); a copy that
 * landed but could not be registered gets RegisterFile.
 */
import { createHash } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { hasMagic, matchComponent } from '../core/fnmatch.js';
import type { Logger } from '../core/logger.js';
import { diracAdlerHex, fileAdler32 } from './adler32.js';
import { DataError, asDataError } from './errors.js';
import { poolGuidsIn } from './pool-xml.js';
import type { Storage } from './storage/index.js';
import { checkLfn, endpointUrl, protocolsSaid, transferEndpoints, urlEndpoints } from './storage/index.js';
import type { DataConfig, DataRequest, JobDataServices, RequestOperation } from './types.js';

export interface OutputDataRequest {
  jobId: number;
  jobName: string | undefined;
  owner: string;
  ownerGroup: string;
  /** JDL OutputData: local names (globs allowed) or LFN:/… names. */
  outputData: readonly string[];
  /** JDL OutputSE; empty: the CS default (StorageElementGroups/SE-USER). */
  outputSE: readonly string[];
  /** JDL OutputPath; empty: <jobID/1000>/<jobID>. */
  outputPath: string;
  jobDir: string;
  /**
   * Files outside the job directory uploaded as output data too, named by their plain file name
   * (the output sandbox tarball over the sandbox limit, as DIRAC's JobWrapper appends it).
   */
  extraFiles?: readonly { name: string; path: string }[];
}

export interface OutputDataContext {
  services: JobDataServices;
  storage: Storage;
  signal: AbortSignal;
  transferTimeoutMs: number;
  logger: Logger;
  setParameter(name: string, value: string): void;
  random?: () => number;
}

export interface UploadedFile {
  lfn: string;
  localFile: string;
  se: string;
  failover: boolean;
  registered: boolean;
}

export interface OutputDataResult {
  uploaded: UploadedFile[];
  /** Outputs that went nowhere (DIRAC: OutputData "MissingFiles: …"). */
  missing: string[];
  /** Operations for the job's failover request (empty when every file is where it should be). */
  operations: RequestOperation[];
}

/** DIRAC's makeGuid(file): the MD5 of the first 10 MiB, upper case, 8-4-4-4-12. */
export async function makeGuid(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const limit = 10 * 1024 * 1024;
    const buffer = Buffer.allocUnsafe(1024 * 1024);
    const md5 = createHash('md5');
    let read = 0;
    while (read < limit) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, limit - read), null);
      if (bytesRead === 0) break;
      md5.update(buffer.subarray(0, bytesRead));
      read += bytesRead;
    }
    const h = md5.digest('hex').toUpperCase();
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  } finally {
    await handle.close();
  }
}

/** JobWrapper.__getLFNfromOutputFile, with the local file always inside the job directory. */
export function outputLfn(
  name: string,
  request: Pick<OutputDataRequest, 'jobId' | 'owner' | 'outputPath' | 'jobDir'>,
  config: Pick<DataConfig, 'vo' | 'lfnUserPrefix'>,
): { lfn: string; localName: string } {
  if (/^LFN:/i.test(name)) {
    const lfn = checkLfn(name);
    // DIRAC reads the job directory joined with the LFN, which for an absolute LFN is the LFN
    // itself, anywhere on the node; here the file is the LFN's last name inside the job directory.
    return { lfn, localName: lfn.slice(lfn.lastIndexOf('/') + 1) };
  }
  if (name.includes('/') || name === '.' || name === '..' || name === '')
    throw new DataError('bad-name', `OutputData ${JSON.stringify(name)}: only plain file names in the job directory`);
  const vo = config.vo || 'dirac';
  const owner = request.owner;
  let sub = request.outputPath.replace(/^\/+/, '');
  if (!sub) sub = `${Math.floor(request.jobId / 1000)}/${request.jobId}`;
  const lfn = checkLfn(`/${vo}/${config.lfnUserPrefix}/${owner.slice(0, 1)}/${owner}/${sub}/${name}`);
  return { lfn, localName: name };
}

/** Local OutputData names, globs (`*`, `?`) expanded in the job directory; regular files only. */
async function expand(jobDir: string, names: readonly string[]): Promise<{ files: string[]; missing: string[] }> {
  const entries = await readdir(jobDir);
  const files: string[] = [];
  const missing: string[] = [];
  // Names already listed: a Set, since `*` over a directory of 10⁵ files made `includes` quadratic.
  const listed = new Set<string>();
  for (const name of names) {
    if (/^LFN:/i.test(name) || !hasMagic(name)) {
      files.push(name);
      listed.add(name);
      continue;
    }
    // fnmatch, linear: a RegExp made of the job's pattern (`*a*a*a*…b`) backtracked exponentially
    // on a name the job chose, the pilot's thread blocked for good.
    const hits = entries.filter((e) => !e.startsWith('.') && matchComponent(name, e)).sort();
    if (hits.length === 0) missing.push(name);
    for (const hit of hits) {
      if (listed.has(hit)) continue;
      listed.add(hit);
      files.push(hit);
    }
  }
  return { files, missing };
}

/**
 * The job's output file under a name of the pilot's own (`pinned`, outside the job directory),
 * before anything reads it: a hard link (link(2) does not follow a symlink, so a link or FIFO the
 * job left is linked as what it is and refused on lstat), or, where the kernel refuses the link
 * (protected_hardlinks on a file of another uid, another filesystem), a copy read through a
 * descriptor opened O_NOFOLLOW|O_NONBLOCK and checked to be a regular file. The checksum, GUID
 * and upload then read `pinned`: a name swapped in the job directory afterwards (for a symlink to
 * the pilot's files, or a FIFO that would block the read) changes nothing. Null: no such file.
 */
async function pinOutput(source: string, pinned: string): Promise<{ size: number } | { refused: string } | null> {
  try {
    await link(source, pinned);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    let handle;
    try {
      handle = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (openError) {
      const openCode = (openError as NodeJS.ErrnoException).code;
      if (openCode === 'ENOENT') return null;
      return { refused: openCode === 'ELOOP' ? 'a symbolic link' : `not readable (${openCode ?? 'error'})` };
    }
    try {
      if (!(await handle.stat()).isFile()) return { refused: 'not a regular file' };
      await pipeline(handle.createReadStream({ autoClose: false }), createWriteStream(pinned, { flags: 'wx', mode: 0o600 }));
    } finally {
      await handle.close();
    }
  }
  const info = await lstat(pinned);
  if (!info.isFile()) {
    await rm(pinned, { force: true });
    return { refused: info.isSymbolicLink() ? 'a symbolic link' : 'not a regular file' };
  }
  return { size: info.size };
}

/** The SEs in DIRAC's order: the site's own first, each group in random order (JobWrapper.__getSortedSEList). */
export function sortSEs(ses: readonly string[], config: Pick<DataConfig, 'siteSEs'>, random: () => number = Math.random): string[] {
  const shuffle = (items: string[]): string[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  };
  const site = new Set(config.siteSEs);
  return [...shuffle(ses.filter((s) => site.has(s))), ...shuffle(ses.filter((s) => !site.has(s)))];
}

interface FileMeta {
  lfn: string;
  path: string;
  size: number;
  checksum: string;
  guid: string;
}

type PutResult = { ok: true; se: string; registered: boolean; pfn: string } | { ok: false; error: string };

/** DataManager.putAndRegister then FailoverTransfer.transferAndRegisterFile over a list of SEs. */
async function putAndRegister(file: FileMeta, ses: readonly string[], ctx: OutputDataContext): Promise<PutResult> {
  const { catalog, config, credentials } = ctx.services;
  const errors: string[] = [];
  for (const seName of ses) {
    const se = config.storageElements.get(seName);
    if (!se) {
      errors.push(`${seName}: not a storage element in the CS`);
      continue;
    }
    if (!se.writeAccess) {
      errors.push(`${seName}: write access banned`);
      continue;
    }
    let exists;
    try {
      exists = await catalog.exists([file.lfn]);
    } catch (error) {
      errors.push(`${seName}: ${asDataError(error).message}`);
      continue;
    }
    if (exists.failed.has(file.lfn)) {
      errors.push(`Failed to determine existence of destination LFN: ${exists.failed.get(file.lfn)}`);
      continue;
    }
    if (exists.successful.get(file.lfn)) {
      errors.push(`The supplied LFN already exists in the File Catalog: ${file.lfn}`);
      continue;
    }
    // StorageElement.putFile: the SE's WriteProtocols decide which sections, in which order.
    const endpoints = transferEndpoints(se, 'write', config.siteSEs.includes(seName));
    if (endpoints.length === 0) errors.push(`${seName}: no section this pilot may write to from here (${protocolsSaid(se, 'write')})`);
    let landed: string | null = null;
    for (const endpoint of endpoints) {
      const url = endpointUrl(endpoint, file.lfn);
      try {
        await ctx.storage.upload(file.path, url, {
          signal: ctx.signal,
          credentials,
          timeoutMs: ctx.transferTimeoutMs,
          expectedAdler32: file.checksum.padStart(8, '0'),
        });
        landed = url;
        break;
      } catch (error) {
        const e = asDataError(error);
        if (e.kind === 'aborted') throw e;
        errors.push(`${seName} ${url}: ${e.message}`);
        ctx.logger.warn({ lfn: file.lfn, se: seName, url, kind: e.kind, err: e.message }, 'output upload failed');
      }
    }
    if (!landed) continue;
    // The PFN registered: StorageElement.getURL in the RegistrationProtocols (the SE's sections that
    // give one, by AccessProtocols order), else the URL written.
    const registration = config.registrationProtocols.length > 0 ? urlEndpoints(se, config.registrationProtocols)[0] : undefined;
    const pfn = registration ? endpointUrl(registration, file.lfn) : landed;
    try {
      const added = await catalog.addFile([
        { lfn: file.lfn, pfn, size: file.size, se: seName, guid: file.guid, checksum: file.checksum, checksumType: 'ADLER32' },
      ]);
      if (added.failed.has(file.lfn)) throw new DataError('other', added.failed.get(file.lfn)!);
      return { ok: true, se: seName, registered: true, pfn };
    } catch (error) {
      ctx.logger.warn(
        { lfn: file.lfn, se: seName, err: (error as Error).message },
        'uploaded but not registered; a RegisterFile request will do it',
      );
      return { ok: true, se: seName, registered: false, pfn };
    }
  }
  return { ok: false, error: errors.join('; ') || 'no storage element to try' };
}

function registerOperation(file: FileMeta, se: string, pfn: string, catalogName: string): RequestOperation {
  return {
    Type: 'RegisterFile',
    Catalog: catalogName,
    TargetSE: se,
    Files: [{ LFN: file.lfn, PFN: pfn, Size: file.size, Checksum: file.checksum, ChecksumType: 'ADLER32', GUID: file.guid }],
  };
}

export async function uploadOutputData(request: OutputDataRequest, ctx: OutputDataContext): Promise<OutputDataResult> {
  const { config, catalog } = ctx.services;
  const outputSEs = request.outputSE.length > 0 ? [...request.outputSE] : [...config.defaultOutputSEs];
  if (outputSEs.length === 0 && config.failoverSEs.length === 0) throw new DataError('other', 'No output SEs defined in VO configuration');
  const { files, missing } = await expand(request.jobDir, request.outputData);
  const uploaded: UploadedFile[] = [];
  const operations: RequestOperation[] = [];
  const outputs = [
    ...files.map((name) => ({ name, path: null as string | null })),
    ...(request.extraFiles ?? []).map((extra) => ({ name: extra.name, path: extra.path })),
  ];
  // JobWrapper: GUIDs from the POOL XML catalogs of the job directory, else makeGuid.
  const poolGuids = await poolGuidsIn(request.jobDir).catch(() => new Map<string, string>());
  // The job's files are read from here (pinOutput): beside the job directory, the pilot's own.
  const pinDir = join(dirname(request.jobDir), `${basename(request.jobDir)}.output-data`);
  await rm(pinDir, { recursive: true, force: true });
  await mkdir(pinDir, { mode: 0o700 });
  try {
    for (const [index, { name, path: extraPath }] of outputs.entries()) {
      const { lfn, localName } = outputLfn(name, request, config);
      const jobPath = join(request.jobDir, localName);
      let path: string;
      let size: number;
      if (extraPath) {
        path = extraPath;
        const info = await lstat(extraPath).catch(() => null);
        if (!info?.isFile()) {
          ctx.logger.error({ name, path }, 'missing specified output data file');
          missing.push(name);
          continue;
        }
        size = info.size;
      } else {
        // Only a regular file the job left: a link would make the pilot read (and publish) what it points at.
        path = join(pinDir, String(index));
        const pinned = await pinOutput(jobPath, path);
        if (pinned === null || 'refused' in pinned) {
          ctx.logger.error(
            { name, path: jobPath },
            pinned ? `output data is not a regular file: ${pinned.refused}` : 'missing specified output data file',
          );
          missing.push(name);
          continue;
        }
        size = pinned.size;
      }
      const { adler32 } = await fileAdler32(path, ctx.signal);
      // DIRAC looks the file up by its absolute path; a job's catalog names it relatively as often.
      const poolGuid = extraPath ? undefined : (poolGuids.get(resolve(jobPath)) ?? poolGuids.get(localName));
      const guid = poolGuid ?? (await makeGuid(path));
      const file: FileMeta = { lfn, path, size, checksum: diracAdlerHex(adler32), guid };
      const sorted = sortSEs(outputSEs, config, ctx.random);
      const put = await putAndRegister(file, sorted, ctx);
      if (put.ok) {
        if (!put.registered) operations.push(registerOperation(file, put.se, put.pfn, catalog.name));
        uploaded.push({ lfn, localFile: localName, se: put.se, failover: false, registered: put.registered });
        continue;
      }
      ctx.logger.error({ lfn, ses: sorted, err: put.error }, 'could not put and register; trying failover storage');
      if (config.failoverSEs.length === 0) {
        missing.push(name);
        continue;
      }
      const failover = await putAndRegister(file, sortSEs(config.failoverSEs, config, ctx.random), ctx);
      if (!failover.ok) {
        ctx.logger.error({ lfn, err: failover.error }, 'completely failed to upload the file to failover SEs');
        missing.push(name);
        continue;
      }
      if (!failover.registered) operations.push(registerOperation(file, failover.se, failover.pfn, catalog.name));
      const target = sorted[0] ?? failover.se;
      operations.push({
        Type: 'ReplicateAndRegister',
        TargetSE: target,
        SourceSE: failover.se,
        Files: [{ LFN: lfn, Checksum: file.checksum, ChecksumType: 'ADLER32', ...(file.size ? { Size: file.size } : {}), GUID: file.guid }],
      });
      operations.push({ Type: 'RemoveReplica', TargetSE: failover.se, Files: [{ LFN: lfn }] });
      uploaded.push({ lfn, localFile: localName, se: failover.se, failover: true, registered: failover.registered });
    }
  } finally {
    await rm(pinDir, { recursive: true, force: true });
  }
  if (uploaded.length > 0) ctx.setParameter('UploadedOutputData', uploaded.map((u) => u.lfn).join(', '));
  if (missing.length > 0) ctx.setParameter('OutputData', `MissingFiles: ${missing.join(', ')}`);
  return { uploaded, missing, operations };
}

/** JobWrapper.sendFailoverRequest's request: named `<JobName cleaned>_job_<id>` (or `job_<id>`). */
export function failoverRequest(
  request: Pick<OutputDataRequest, 'jobId' | 'jobName' | 'owner' | 'ownerGroup'>,
  operations: RequestOperation[],
  config: Pick<DataConfig, 'failoverRequestDelayMinutes'>,
): DataRequest {
  let name = `job_${request.jobId}`;
  if (request.jobName && request.jobName !== 'unknown') name = `${request.jobName.replace(/[ ()".{}:]/g, '')}_${name}`;
  return {
    RequestName: name.replaceAll('"', ''),
    JobID: request.jobId,
    SourceComponent: `Job_${request.jobId}`,
    Owner: request.owner || null,
    OwnerGroup: request.ownerGroup || null,
    delayMinutes: config.failoverRequestDelayMinutes,
    Operations: operations,
  };
}
