/**
 * The legacy DIRAC backend's side of the data seam: the DIRAC File Catalog
 * (DataManagement/FileCatalog) and the request service (RequestManagement/ReqManager), called
 * over DIPS or HTTPS with the job owner's proxy as DIRAC's JobWrapper does, and the CS read into
 * a DataConfig for the pilot's site.
 */
import { z } from 'zod';
import type { ConfigReader } from '../data/dirac-config.js';
import { readDataConfig } from '../data/dirac-config.js';
import { DataError } from '../data/errors.js';
import type { BulkResult, Catalog, DataConfig, DataRequest, FileMetadata, NewCatalogFile, RequestClient } from '../data/types.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { PyValue } from './codec/index.js';
import { cfgList, cfgSection, cfgValue, type CfgSection } from './cs/cfg.js';
import type { DiracResult } from './result.js';
import { requestJson } from './rms.js';
import type { ServiceCaller } from './services.js';

const FC = 'DataManagement/FileCatalog';

const Bulk = z.object({ Successful: z.record(z.unknown()), Failed: z.record(z.unknown()) });

function bulk(result: DiracResult, what: string): z.infer<typeof Bulk> {
  if (!result.ok) throw new DataError('unreachable', `${what}: ${result.message}`);
  const parsed = Bulk.safeParse(result.value);
  if (!parsed.success) throw new DataError('other', `${what}: reply is not {Successful, Failed}`);
  return parsed.data;
}

const reason = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** Catalog calls that cannot reach any FileCatalog URL become 'unreachable' data errors. */
async function call(caller: ServiceCaller, method: string, args: PyValue[]): Promise<DiracResult> {
  try {
    return await caller.call(FC, method, args);
  } catch (error) {
    if (error instanceof PilotError && error.exitCode === ExitCode.CONFIG) throw new DataError('other', error.message);
    throw new DataError('unreachable', `FileCatalog.${method}: ${(error as Error).message}`);
  }
}

/** The LFN argument as DIRAC's checkCatalogArguments makes it: {lfn: True}. */
const lfnDict = (lfns: readonly string[]): Record<string, PyValue> => Object.fromEntries(lfns.map((l) => [l, true]));

export class DiracFileCatalog implements Catalog {
  readonly name = 'FileCatalog';
  constructor(private readonly caller: ServiceCaller) {}

  async getReplicas(lfns: readonly string[]): Promise<BulkResult<Map<string, string>>> {
    const reply = bulk(await call(this.caller, 'getReplicas', [lfnDict(lfns), false]), 'FileCatalog.getReplicas');
    const successful = new Map<string, Map<string, string>>();
    for (const [lfn, replicas] of Object.entries(reply.Successful)) {
      const map = new Map<string, string>();
      if (replicas && typeof replicas === 'object') {
        // No stored PFN: DIRAC's client puts the LFN in its place.
        for (const [se, pfn] of Object.entries(replicas as Record<string, unknown>))
          map.set(se, typeof pfn === 'string' && pfn ? pfn : lfn);
      }
      successful.set(lfn, map);
    }
    return { successful, failed: new Map(Object.entries(reply.Failed).map(([k, v]) => [k, reason(v)])) };
  }

  async getFileMetadata(lfns: readonly string[]): Promise<BulkResult<FileMetadata>> {
    const reply = bulk(await call(this.caller, 'getFileMetadata', [lfnDict(lfns)]), 'FileCatalog.getFileMetadata');
    const successful = new Map<string, FileMetadata>();
    for (const [lfn, meta] of Object.entries(reply.Successful)) {
      const m = (meta ?? {}) as Record<string, unknown>;
      const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
      successful.set(lfn, { size: Number(m.Size ?? NaN), checksum: str(m.Checksum), checksumType: str(m.ChecksumType), guid: str(m.GUID) });
    }
    return { successful, failed: new Map(Object.entries(reply.Failed).map(([k, v]) => [k, reason(v)])) };
  }

  async exists(lfns: readonly string[]): Promise<BulkResult<boolean>> {
    const reply = bulk(await call(this.caller, 'exists', [lfnDict(lfns)]), 'FileCatalog.exists');
    return {
      successful: new Map(Object.entries(reply.Successful).map(([k, v]) => [k, Boolean(v)])),
      failed: new Map(Object.entries(reply.Failed).map(([k, v]) => [k, reason(v)])),
    };
  }

  async addFile(files: readonly NewCatalogFile[]): Promise<BulkResult<true>> {
    // DataManager.__registerFile: {lfn: {PFN, Size, SE, GUID, Checksum}}.
    const arg: Record<string, PyValue> = {};
    for (const f of files) arg[f.lfn] = { PFN: f.pfn, Size: f.size, SE: f.se, GUID: f.guid, Checksum: f.checksum };
    const reply = bulk(await call(this.caller, 'addFile', [arg]), 'FileCatalog.addFile');
    return {
      successful: new Map(Object.keys(reply.Successful).map((k) => [k, true as const])),
      failed: new Map(Object.entries(reply.Failed).map(([k, v]) => [k, reason(v)])),
    };
  }
}

export class DiracRequestClient implements RequestClient {
  constructor(private readonly caller: ServiceCaller) {}

  async putRequest(request: DataRequest): Promise<void> {
    let result: DiracResult;
    try {
      result = await this.caller.call('RequestManagement/ReqManager', 'putRequest', [requestJson(request)]);
    } catch (error) {
      throw new DataError('unreachable', `ReqManager.putRequest: ${(error as Error).message}`);
    }
    if (!result.ok) throw new DataError('other', `ReqManager.putRequest: ${result.message}`);
  }
}

/** The CS as the data path's ConfigReader. */
export function cfgReader(root: CfgSection): ConfigReader {
  return {
    value: (path) => cfgValue(root, path),
    list: (path) => cfgList(root, path),
    sections: (path) => [...(cfgSection(root, path)?.sections.keys() ?? [])],
    options: (path) => [...(cfgSection(root, path)?.options.keys() ?? [])],
  };
}

export function diracDataConfig(root: CfgSection, site: string, vo: string, setup = ''): DataConfig {
  const localSE = cfgList(root, '/LocalSite/LocalSE');
  return readDataConfig(cfgReader(root), { site, vo, localSEOverride: localSE, ...(setup ? { setup } : {}) });
}
