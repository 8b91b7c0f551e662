/**
 * What the pilot reads from the DIRAC Configuration Service: service URLs (DIPS or HTTPS per
 * service), the Registry (user DN, group VOMS role and VO) and the pilot version check. Paths
 * follow v9 (no Setups, DIRAC#7808) and fall back to the v8 `/DIRAC/Setups/<setup>/<System>`
 * instance indirection.
 */
import { inflateSync } from 'node:zlib';
import { CfgError, cfgBool, cfgList, cfgSection, cfgValue, parseCfg, type CfgSection } from './cfg.js';

/** Turns the getCompressedData reply (zlib bytes; a surrogate-escaped str over DEncode) into a CFG. */
export function decodeCompressedCfg(value: unknown): CfgSection {
  let bytes: Buffer;
  if (value instanceof Uint8Array) bytes = Buffer.from(value);
  else if (typeof value === 'string') bytes = surrogateEscapedToBytes(value);
  else throw new CfgError(`CS: getCompressedData returned ${value === null ? 'null' : typeof value}, expected bytes`);
  let text: string;
  try {
    text = inflateSync(bytes, { maxOutputLength: 256 * 1024 * 1024 }).toString('utf8');
  } catch (error) {
    throw new CfgError(`CS: getCompressedData reply is not zlib data (${(error as Error).message})`);
  }
  return parseCfg(text);
}

function surrogateEscapedToBytes(text: string): Buffer {
  const parts: Buffer[] = [];
  let plain = '';
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= 0xdc80 && code <= 0xdcff) {
      parts.push(Buffer.from(plain, 'utf8'), Buffer.from([code - 0xdc00]));
      plain = '';
    } else {
      plain += char;
    }
  }
  parts.push(Buffer.from(plain, 'utf8'));
  return Buffer.concat(parts);
}

export interface ServiceUrl {
  protocol: 'dips' | 'https';
  url: URL;
}

/**
 * The URLs of `System/Service` (e.g. `WorkloadManagement/Matcher`), in CS order. Only dips:// and
 * https:// are usable by the pilot; anything else is reported, not silently skipped.
 */
export function resolveServiceUrls(root: CfgSection, service: string, setup?: string): ServiceUrl[] {
  const [system, name] = service.split('/') as [string, string | undefined];
  if (!name) throw new CfgError(`CS: service ${JSON.stringify(service)} is not System/Service`);
  let urls = cfgList(root, `/Systems/${system}/URLs/${name}`);
  if (urls.length === 0 && setup) {
    const instance = cfgValue(root, `/DIRAC/Setups/${setup}/${system}`);
    if (instance) urls = cfgList(root, `/Systems/${system}/${instance}/URLs/${name}`);
  }
  if (urls.length === 0) throw new CfgError(`CS: no URL for ${service} (looked in /Systems/${system}/URLs/${name})`);
  return urls.map((text) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new CfgError(`CS: URL for ${service} is not a URL: ${JSON.stringify(text)}`);
    }
    const protocol = url.protocol.replace(/:$/, '');
    if (protocol !== 'dips' && protocol !== 'https') {
      throw new CfgError(`CS: URL for ${service} uses ${protocol}://, the pilot speaks dips:// and https:// only`);
    }
    return { protocol, url };
  });
}

export interface RegistryGroup {
  name: string;
  vo: string | undefined;
  vomsRole: string | undefined;
  properties: string[];
}

/** /Registry/Users/<username>/DN: the first DN when several are listed. */
export function userDN(root: CfgSection, username: string): string | undefined {
  return cfgList(root, `/Registry/Users/${username}/DN`)[0];
}

export function registryGroup(root: CfgSection, group: string): RegistryGroup | undefined {
  const section = cfgSection(root, `/Registry/Groups/${group}`);
  if (!section) return undefined;
  return {
    name: group,
    vo: section.options.get('VO') ?? section.options.get('VirtualOrganization'),
    vomsRole: section.options.get('VOMSRole'),
    properties: cfgList(root, `/Registry/Groups/${group}/Properties`),
  };
}

/**
 * The VOMS attribute a payload proxy of `group` carries, as DIRAC's Registry decides it: the
 * group's `VOMSRole`, else `/Registry/DefaultVOMSAttribute`, else none. A VO alone does not ask for
 * VOMS: DIRAC's JobAgent then downloads a plain proxy (ProxyManager.getProxy), and a getVOMSProxy
 * call for such a group is refused by a ProxyManager with no VOMS mapping for it.
 */
export function vomsAttribute(root: CfgSection, group: string): string | undefined {
  const g = registryGroup(root, group);
  return g?.vomsRole || cfgValue(root, '/Registry/DefaultVOMSAttribute') || undefined;
}

/**
 * Operations/<VO>/Pilot/Version (then Operations/Defaults) lists accepted releases, first is the
 * current one; CheckVersion=False turns the Matcher's check off.
 */
export function pilotVersionPolicy(root: CfgSection, vo: string, setup?: string): { versions: string[]; check: boolean } {
  const bases = [
    `/Operations/${vo}`,
    ...(setup ? [`/Operations/${vo}/${setup}`, `/Operations/Defaults/${setup}`] : []),
    '/Operations/Defaults',
  ];
  for (const base of bases) {
    const versions = cfgList(root, `${base}/Pilot/Version`);
    if (versions.length > 0) return { versions, check: cfgBool(root, `${base}/Pilot/CheckVersion`, true) };
  }
  return { versions: [], check: false };
}

/** The check the Matcher applies (error 1511 there): done up front to fail with a clear message. */
export function checkPilotVersion(root: CfgSection, vo: string, version: string, setup?: string): string | undefined {
  const policy = pilotVersionPolicy(root, vo, setup);
  if (!policy.check || policy.versions.length === 0 || policy.versions.includes(version)) return undefined;
  return `pilot version ${version} is not accepted by the CS (Operations ${vo} Pilot/Version: ${policy.versions.join(', ')})`;
}

/**
 * Where `SB:<SE>|<path>` sandboxes live: the SE's DIP access section (`Protocol = dips`, normally
 * the SandboxStore itself). A `BaseSE` is followed one level, as sites define sandbox SEs that way.
 */
export function sandboxStoreUrl(root: CfgSection, se: string): URL {
  const find = (name: string): CfgSection | undefined => cfgSection(root, `/Resources/StorageElements/${name}`);
  const section = find(se);
  if (!section) throw new CfgError(`CS: storage element ${se} is not defined under /Resources/StorageElements`);
  const base = section.options.get('BaseSE');
  const candidates = [section, ...(base ? [find(base)].filter((s): s is CfgSection => s !== undefined) : [])];
  for (const candidate of candidates) {
    for (const access of candidate.sections.values()) {
      const protocol = access.options.get('Protocol');
      if (protocol !== 'dips' && protocol !== 'https') continue;
      const host = access.options.get('Host');
      const port = access.options.get('Port');
      const path = access.options.get('Path') ?? '/WorkloadManagement/SandboxStore';
      if (!host) continue;
      return new URL(`${protocol}://${host}${port ? `:${port}` : ''}${path.startsWith('/') ? path : `/${path}`}`);
    }
  }
  throw new CfgError(`CS: storage element ${se} has no dips or https access section`);
}
