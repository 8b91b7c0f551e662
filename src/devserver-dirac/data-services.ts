/**
 * The legacy dev server's data management: DataManagement/FileCatalog (getReplicas,
 * getFileMetadata, exists, addFile, with DIRAC's Successful/Failed replies and its
 * "No such file or directory") and RequestManagement/ReqManager (putRequest of a Request JSON,
 * the owner checked against the caller as DIRAC's RequestValidator does), plus the CS sections
 * that describe the storage elements, the site and the failover storage.
 */
import type { PyValue } from '../dirac/codec/index.js';
import { sERROR, sOK, type ServiceHandlers } from './dips-server.js';
import { optimizeRequest } from './request-optimize.js';

export interface DevCatalogFile {
  size: number;
  checksum: string;
  checksumType: string;
  guid: string;
  /** SE → PFN ('' when the catalog keeps none). */
  replicas: Map<string, string>;
  owner?: string;
}

export interface StoredRequest {
  id: number;
  json: string;
  parsed: Record<string, unknown>;
  callerDN: string;
}

export class DevDataState {
  readonly files = new Map<string, DevCatalogFile>();
  readonly requests: StoredRequest[] = [];
  /** When set, addFile fails with this message (a catalog that takes uploads' registrations badly). */
  addFileError: string | null = null;
}

export interface DevStorageElement {
  name: string;
  /** Access sections: protocol, host, port, path. */
  /** Access: `remote` unless said (a section without it serves only the SE's own site, as in DIRAC). */
  endpoints: { section: string; protocol: string; host: string; port?: number; path: string; wsUrl?: string; access?: string }[];
  /** The SE's own AccessProtocols/WriteProtocols (else the Operations lists). */
  accessProtocols?: string[];
  writeProtocols?: string[];
}

export interface DevDataSetup {
  /** The pilot's site (Resources/Sites/<grid>/<site>/SE lists siteSEs). */
  site: string;
  storageElements: DevStorageElement[];
  siteSEs: string[];
  /** StorageElementGroups/SE-USER: where outputs go by default. */
  defaultOutputSEs: string[];
  /** Operations/Defaults/FailoverSEs. */
  failoverSEs: string[];
  /** Operations/Defaults/InputDataPolicy/Default (module names). */
  inputDataPolicy?: string[];
  /** JobWrapper MinOutputDataBufferGB (DIRAC's default of 5 is too much for a test machine). */
  outputBufferGB?: number;
  /** JobWrapper FailoverRequestDelay, minutes. */
  failoverRequestDelay?: number;
  /** Operations DataManagement/AccessProtocols and /WriteProtocols (default: file, root, https). */
  accessProtocols?: string[];
  writeProtocols?: string[];
  /** JobWrapper OutputSandboxLimit, bytes (absent: DIRAC's default, 10 MiB). */
  outputSandboxLimit?: number;
}

const NO_SUCH = 'No such file or directory';
const asDict = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : typeof v === 'string'
      ? { [v]: true }
      : Array.isArray(v)
        ? Object.fromEntries(v.map((x) => [String(x), true]))
        : {};

export function fileCatalog(state: DevDataState, userNames: Map<string, string>): ServiceHandlers {
  const split = <T>(lfns: Record<string, unknown>, each: (lfn: string, file: DevCatalogFile) => T): PyValue => {
    const successful: Record<string, PyValue> = {};
    const failed: Record<string, PyValue> = {};
    for (const lfn of Object.keys(lfns)) {
      const file = state.files.get(lfn);
      if (file) successful[lfn] = each(lfn, file) as PyValue;
      else failed[lfn] = NO_SUCH;
    }
    return sOK({ Successful: successful, Failed: failed });
  };
  return {
    rpc: {
      getReplicas: (args) => split(asDict(args[0]), (_lfn, f) => Object.fromEntries(f.replicas)),
      getFileMetadata: (args) =>
        split(asDict(args[0]), (_lfn, f) => ({
          Size: f.size,
          Checksum: f.checksum,
          ChecksumType: f.checksumType,
          GUID: f.guid,
          Status: 'AprioriGood',
          Mode: 509,
          Owner: f.owner ?? 'alice',
          OwnerGroup: 'gridpp_user',
        })),
      exists: (args) => {
        const successful: Record<string, PyValue> = {};
        for (const [lfn, guid] of Object.entries(asDict(args[0]))) {
          if (state.files.has(lfn)) successful[lfn] = lfn;
          else {
            const other = typeof guid === 'string' ? [...state.files].find(([, f]) => f.guid === guid)?.[0] : undefined;
            successful[lfn] = other ?? false;
          }
        }
        return sOK({ Successful: successful, Failed: {} });
      },
      addFile: (args, ctx) => {
        const successful: Record<string, PyValue> = {};
        const failed: Record<string, PyValue> = {};
        for (const [lfn, raw] of Object.entries(asDict(args[0]))) {
          const m = asDict(raw);
          if (state.addFileError) failed[lfn] = state.addFileError;
          else if (state.files.has(lfn)) failed[lfn] = 'File already exists';
          else if (typeof m.SE !== 'string' || typeof m.GUID !== 'string' || typeof m.Size !== 'number')
            failed[lfn] = 'Missing SE, GUID or Size';
          else {
            state.files.set(lfn, {
              size: m.Size,
              checksum: String(m.Checksum ?? ''),
              checksumType: 'Adler32',
              guid: m.GUID,
              replicas: new Map([[m.SE, String(m.PFN ?? '')]]),
              owner: userNames.get(ctx.identityDN) ?? 'unknown',
            });
            successful[lfn] = true;
          }
        }
        return sOK({ Successful: successful, Failed: failed });
      },
    },
  };
}

const FILE_OPS = new Set(['ReplicateAndRegister', 'RegisterFile', 'RemoveReplica', 'RemoveFile', 'PutAndRegister', 'RegisterReplica']);

export function reqManager(state: DevDataState, userNames: Map<string, string>): ServiceHandlers {
  return {
    rpc: {
      putRequest: (args, ctx) => {
        if (typeof args[0] !== 'string') return sERROR('putRequest takes the request as a JSON string');
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(args[0]) as Record<string, unknown>;
        } catch {
          return sERROR('putRequest: the request is not JSON');
        }
        // RequestValidator.setAndCheckRequestOwner: a user may only put requests in its own name.
        const caller = userNames.get(ctx.identityDN);
        if (parsed.Owner !== null && parsed.Owner !== undefined && parsed.Owner !== caller)
          return sERROR('Credentials in the requests are not allowed', 1111);
        if (!parsed.RequestName) return sERROR('RequestName not set');
        const ops = Array.isArray(parsed.Operations) ? (parsed.Operations as Record<string, unknown>[]) : [];
        if (ops.length === 0) return sERROR(`Operations not present in request ${String(parsed.RequestName)}`);
        for (const op of ops) {
          if (typeof op.Type !== 'string') return sERROR('Operation type not set');
          const files = Array.isArray(op.Files) ? (op.Files as Record<string, unknown>[]) : [];
          if (FILE_OPS.has(op.Type) && files.length === 0)
            return sERROR(`Operation #${String(op.Order)} of type '${op.Type}' is missing Files`);
          if (FILE_OPS.has(op.Type) && !op.TargetSE)
            return sERROR(`Operation #${String(op.Order)} of type '${op.Type}' is missing TargetSE attribute`);
          // RequestValidator: a ForwardDISET carries the call to replay in its Arguments.
          if (op.Type === 'ForwardDISET' && !op.Arguments)
            return sERROR(`Operation #${String(op.Order)} of type 'ForwardDISET' is missing Arguments attribute.`);
          if (op.Type === 'RegisterFile' && !op.Catalog)
            return sERROR(`Operation #${String(op.Order)} of type 'RegisterFile' is missing Catalog attribute`);
          for (const f of files) {
            if (typeof f.LFN !== 'string' || !f.LFN.startsWith('/')) return sERROR('LFN not set or not absolute');
            if (f.Checksum && !f.ChecksumType)
              return sERROR(`File in operation #${String(op.Order)} is missing Checksum (${String(f.Checksum)}) or ChecksumType`);
          }
        }
        const id = state.requests.length + 1;
        // Stored as DIRAC's ReqManager stores it: optimized (failover series regrouped, SourceSE dropped).
        state.requests.push({ id, json: args[0], parsed: optimizeRequest(parsed), callerDN: ctx.identityDN });
        return sOK(id);
      },
    },
  };
}

/** CS text for the data part; appended to the dev server's CS (sections opened twice are merged). */
export function dataCfgText(setup: DevDataSetup, urls: { fileCatalog: string; reqManager: string }): string {
  const lines: string[] = [];
  const [grid] = setup.site.split('.');
  lines.push('Systems', '{', '  DataManagement', '  {', '    URLs', '    {', `      FileCatalog = ${urls.fileCatalog}`, '    }', '  }');
  lines.push('  RequestManagement', '  {', '    URLs', '    {', `      ReqManager = ${urls.reqManager}`, '    }', '  }');
  lines.push(
    '  WorkloadManagement',
    '  {',
    '    JobWrapper',
    '    {',
    `      MinOutputDataBufferGB = ${setup.outputBufferGB ?? 0.001}`,
    `      FailoverRequestDelay = ${setup.failoverRequestDelay ?? 45}`,
    ...(setup.outputSandboxLimit === undefined ? [] : [`      OutputSandboxLimit = ${setup.outputSandboxLimit}`]),
    '    }',
    '  }',
    '}',
  );
  lines.push(
    'Resources',
    '{',
    '  Sites',
    '  {',
    `    ${grid}`,
    '    {',
    `      ${setup.site}`,
    '      {',
    `        SE = ${setup.siteSEs.join(', ')}`,
    '      }',
    '    }',
    '  }',
  );
  lines.push('  StorageElements', '  {');
  for (const se of setup.storageElements) {
    lines.push(`    ${se.name}`, '    {');
    if (se.accessProtocols) lines.push(`      AccessProtocols = ${se.accessProtocols.join(', ')}`);
    if (se.writeProtocols) lines.push(`      WriteProtocols = ${se.writeProtocols.join(', ')}`);
    for (const e of se.endpoints) {
      lines.push(`      ${e.section}`, '      {', `        Protocol = ${e.protocol}`, `        Host = ${e.host}`);
      lines.push(`        Access = ${e.access ?? 'remote'}`);
      if (e.port) lines.push(`        Port = ${e.port}`);
      lines.push(`        Path = ${e.path}`);
      if (e.wsUrl) lines.push(`        WSUrl = ${e.wsUrl}`);
      lines.push('      }');
    }
    lines.push('    }');
  }
  lines.push('  }', '  StorageElementGroups', '  {', `    SE-USER = ${setup.defaultOutputSEs.join(', ')}`, '  }', '}');
  lines.push('Operations', '{', '  Defaults', '  {', `    FailoverSEs = ${setup.failoverSEs.join(', ')}`);
  // DIRAC's own defaults (srm, dips) reach none of the dev SEs; a real install lists its protocols here.
  lines.push('    DataManagement', '    {', `      AccessProtocols = ${(setup.accessProtocols ?? ['file', 'root', 'https']).join(', ')}`);
  lines.push(`      WriteProtocols = ${(setup.writeProtocols ?? ['file', 'root', 'https']).join(', ')}`, '    }');
  if (setup.inputDataPolicy) lines.push('    InputDataPolicy', '    {', `      Default = ${setup.inputDataPolicy.join(', ')}`, '    }');
  lines.push('  }', '}');
  return lines.join('\n');
}
