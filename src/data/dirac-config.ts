/**
 * Reads the data-management part of a DIRAC Configuration Service into a DataConfig, for one
 * site and VO: storage elements and their access protocols, the site's local SEs (as DIRAC's
 * DMSHelpers maps them), output and failover SEs, the input data policy and the JobWrapper's
 * data options. Takes a plain reader so that it needs nothing of the DIRAC wire.
 */
import type { DataConfig, InputDataPolicy, StorageElementConfig, StorageEndpoint } from './types.js';

/** A read-only view of a CFG tree. Paths are absolute, "/"-separated. */
export interface ConfigReader {
  value(path: string): string | undefined;
  list(path: string): string[];
  /** Names of the sub-sections at `path` ([] when missing). */
  sections(path: string): string[];
  /** Names of the options at `path` ([] when missing). */
  options(path: string): string[];
}

const bool = (text: string | undefined, fallback: boolean): boolean =>
  text === undefined ? fallback : ['yes', 'true', 'y', '1'].includes(text.trim().toLowerCase());

const num = (text: string | undefined, fallback: number): number => {
  const n = text === undefined ? NaN : Number(text.trim());
  return Number.isFinite(n) ? n : fallback;
};

/** Operations/<vo>/<path>, then Operations/Defaults/<path> (v9 has no Setups). */
function ops(cs: ConfigReader, vo: string, path: string): string | undefined {
  return cs.value(`/Operations/${vo}/${path}`) ?? cs.value(`/Operations/Defaults/${path}`);
}
function opsList(cs: ConfigReader, vo: string, path: string): string[] {
  const own = cs.list(`/Operations/${vo}/${path}`);
  return own.length > 0 || cs.value(`/Operations/${vo}/${path}`) !== undefined ? own : cs.list(`/Operations/Defaults/${path}`);
}
function opsOptions(cs: ConfigReader, vo: string, path: string): { base: string; names: string[] } | undefined {
  for (const base of [`/Operations/${vo}/${path}`, `/Operations/Defaults/${path}`]) {
    const names = cs.options(base);
    if (names.length > 0 || cs.sections(base).length > 0) return { base, names };
  }
  return undefined;
}

const POLICY_NAMES: Record<string, InputDataPolicy> = {
  DownloadInputData: 'DownloadInputData',
  InputDataByProtocol: 'InputDataByProtocol',
};

/**
 * A policy module path (DIRAC.WorkloadManagementSystem.Client.DownloadInputData, or its last
 * name) → the policy this pilot implements; undefined for a module it does not know (a VO
 * extension), which the caller reports.
 */
export function policyFromModule(module: string): InputDataPolicy | undefined {
  const last = module.trim().split('.').pop() ?? '';
  return POLICY_NAMES[last];
}

function storageElement(cs: ConfigReader, name: string, depth = 0): StorageElementConfig | undefined {
  const base = `/Resources/StorageElements/${name}`;
  if (cs.sections(base).length === 0 && cs.options(base).length === 0) return undefined;
  const parentName = cs.value(`${base}/BaseSE`) ?? cs.value(`${base}/Alias`);
  const parent = parentName && depth < 3 ? storageElement(cs, parentName, depth + 1) : undefined;
  const endpoints: StorageEndpoint[] = [];
  const ownSections = cs.sections(base);
  const sectionNames = ownSections;
  for (const section of sectionNames) {
    const p = `${base}/${section}`;
    const protocol = cs.value(`${p}/Protocol`);
    if (!protocol) continue;
    const port = cs.value(`${p}/Port`);
    endpoints.push({
      protocol: protocol.trim().toLowerCase(),
      host: cs.value(`${p}/Host`)?.trim() ?? '',
      port: port && /^\d+$/.test(port.trim()) ? Number(port.trim()) : null,
      path: cs.value(`${p}/Path`)?.trim() ?? '',
      wsUrl: cs.value(`${p}/WSUrl`)?.trim() ?? '',
      access: cs.value(`${p}/Access`)?.trim().toLowerCase() ?? null,
    });
  }
  // A BaseSE's access sections are inherited; an SE's own section of the same protocol overrides them.
  if (parent) {
    for (const inherited of parent.endpoints) {
      if (!endpoints.some((e) => e.protocol === inherited.protocol)) endpoints.push(inherited);
    }
  }
  const access = (option: string, fallback: boolean): boolean => {
    const v = cs.value(`${base}/${option}`);
    if (v === undefined) return parent ? (option === 'ReadAccess' ? parent.readAccess : parent.writeAccess) : fallback;
    return !['banned', 'probing', 'false', 'no'].includes(v.trim().toLowerCase());
  };
  // StorageElement: the SE's own protocol lists (or its BaseSE's); empty here means "the Operations
  // list", filled in by readDataConfig.
  const protocols = (option: string, inherited: readonly string[] | undefined): string[] => {
    const own = cs
      .list(`${base}/${option}`)
      .map((p) => p.trim().toLowerCase())
      .filter(Boolean);
    return own.length > 0 ? own : [...(inherited ?? [])];
  };
  return {
    name,
    endpoints,
    readAccess: access('ReadAccess', true),
    writeAccess: access('WriteAccess', true),
    tape: false,
    accessProtocols: protocols('AccessProtocols', parent?.accessProtocols),
    writeProtocols: protocols('WriteProtocols', parent?.writeProtocols),
  };
}

/** DMSHelpers' defaults for Operations DataManagement/AccessProtocols and /WriteProtocols. */
const DEFAULT_SE_PROTOCOLS = ['srm', 'dips'];

/** StorageElementGroups are expanded (one level of nesting), duplicates dropped, order kept. */
export function resolveSEGroup(cs: ConfigReader, names: readonly string[], depth = 0): string[] {
  const out: string[] = [];
  for (const name of names) {
    const group = cs.value(`/Resources/StorageElementGroups/${name}`);
    const members =
      group !== undefined && depth < 3 ? resolveSEGroup(cs, cs.list(`/Resources/StorageElementGroups/${name}`), depth + 1) : [name];
    for (const m of members) if (!out.includes(m)) out.push(m);
  }
  return out;
}

function siteSEs(cs: ConfigReader, site: string): { declared: string[]; gridSites: Map<string, string[]> } {
  const gridSites = new Map<string, string[]>();
  for (const grid of cs.sections('/Resources/Sites')) {
    for (const name of cs.sections(`/Resources/Sites/${grid}`)) gridSites.set(name, cs.list(`/Resources/Sites/${grid}/${name}/SE`));
  }
  // An SE defined with BaseSE/Alias pointing at a site SE counts as local too (DMSHelpers).
  const equivalents = new Map<string, string[]>();
  for (const se of cs.sections('/Resources/StorageElements')) {
    const original = cs.value(`/Resources/StorageElements/${se}/BaseSE`) ?? cs.value(`/Resources/StorageElements/${se}/Alias`);
    if (original) equivalents.set(original, [...(equivalents.get(original) ?? []), se]);
  }
  const withEquivalents = (ses: string[]): string[] => [...new Set([...ses, ...ses.flatMap((se) => equivalents.get(se) ?? [])])];
  for (const [name, ses] of gridSites) gridSites.set(name, withEquivalents(ses));
  return { declared: gridSites.get(site) ?? [], gridSites };
}

export interface DataConfigInput {
  site: string;
  vo: string;
  /** LocalSite/LocalSE as the pilot was told (a site override); empty: from Resources/Sites. */
  localSEOverride?: readonly string[];
  diskSEPatterns?: readonly string[];
  /** The pilot's setup (-S): a CS with Setups keeps the JobWrapper options under its instance. */
  setup?: string;
}

export function readDataConfig(cs: ConfigReader, input: DataConfigInput): DataConfig {
  const { site, vo } = input;
  const storageElements = new Map<string, StorageElementConfig>();
  const tapeMarks = ['-tape', '-RDST', '-RAW'];
  const opsProtocols = (option: string): string[] => {
    const listed = opsList(cs, vo, `DataManagement/${option}`)
      .map((p) => p.trim().toLowerCase())
      .filter(Boolean);
    return listed.length > 0 ? listed : DEFAULT_SE_PROTOCOLS;
  };
  const accessProtocols = opsProtocols('AccessProtocols');
  const writeProtocols = opsProtocols('WriteProtocols');
  for (const name of cs.sections('/Resources/StorageElements')) {
    const se = storageElement(cs, name);
    if (!se) continue;
    storageElements.set(name, {
      ...se,
      tape: tapeMarks.some((m) => name.endsWith(m)),
      accessProtocols: se.accessProtocols.length > 0 ? se.accessProtocols : accessProtocols,
      writeProtocols: se.writeProtocols.length > 0 ? se.writeProtocols : writeProtocols,
    });
  }

  const { declared, gridSites } = siteSEs(cs, site);
  // Download level: the site's own SEs plus SiteSEMappingByDownload (else the older SiteLocalSEMapping).
  let local = [...declared];
  const mapping = opsOptions(cs, vo, 'SiteSEMappingByDownload') ?? opsOptions(cs, vo, 'SiteLocalSEMapping');
  if (mapping && mapping.names.includes(site)) {
    for (const candidate of cs.list(`${mapping.base}/${site}`)) {
      const ses = gridSites.has(candidate) ? gridSites.get(candidate)! : resolveSEGroup(cs, [candidate]);
      for (const se of ses) if (!local.includes(se)) local.push(se);
    }
  }
  if (input.localSEOverride && input.localSEOverride.length > 0) local = [...input.localSEOverride];

  const policyOptions = opsOptions(cs, vo, 'InputDataPolicy');
  const policyText = policyOptions ? (cs.value(`${policyOptions.base}/${site}`) ?? cs.value(`${policyOptions.base}/Default`) ?? '') : '';
  const inputDataPolicies = policyText
    .split(',')
    .map((m) => policyFromModule(m))
    .filter((p): p is InputDataPolicy => p !== undefined);

  const failover = opsList(cs, vo, 'FailoverSEs');
  // DIRAC's JobWrapper reads getSystemSection("WorkloadManagement")/JobWrapper: /Systems/WorkloadManagement
  // in v9's setup-less CS, /Systems/WorkloadManagement/<instance> where /DIRAC/Setups still maps one
  // (v8, and the v9 pre-releases run by the dirac-kit).
  const setup = input.setup || cs.value('/DIRAC/Setup');
  const instance = setup ? cs.value(`/DIRAC/Setups/${setup}/WorkloadManagement`)?.trim() : undefined;
  const wms = ['/Systems/WorkloadManagement', ...(instance ? [`/Systems/WorkloadManagement/${instance}`] : [])];
  const jobWrapper = (option: string): string | undefined =>
    wms
      .map((base) => cs.value(`${base}/JobWrapper/${option}`) ?? cs.value(`${base}/Agents/JobAgent/JobWrapper/${option}`))
      .find((v) => v !== undefined);

  return {
    site,
    vo,
    storageElements,
    localSEs: local,
    siteSEs: declared,
    defaultOutputSEs: resolveSEGroup(cs, cs.list('/Resources/StorageElementGroups/SE-USER')),
    failoverSEs: resolveSEGroup(cs, failover.length > 0 ? failover : cs.list('/Resources/StorageElementGroups/Tier1-Failover')),
    inputDataPolicies: inputDataPolicies.length > 0 ? inputDataPolicies : ['DownloadInputData'],
    localProtocols: opsList(cs, vo, 'InputDataPolicy/Protocols/Local'),
    remoteProtocols: opsList(cs, vo, 'InputDataPolicy/Protocols/Remote'),
    allReplicas: bool(ops(cs, vo, 'InputDataPolicy/AllReplicas'), false),
    lfnUserPrefix: ops(cs, vo, 'LFNUserPrefix')?.trim() || 'user',
    registrationProtocols: opsList(cs, vo, 'DataManagement/RegistrationProtocols'),
    outputBufferBytes: num(jobWrapper('MinOutputDataBufferGB'), 5) * 1024 ** 3,
    failoverRequestDelayMinutes: num(jobWrapper('FailoverRequestDelay'), 45),
    outputSandboxLimitBytes: num(jobWrapper('OutputSandboxLimit'), 10 * 1024 * 1024),
  };
}
