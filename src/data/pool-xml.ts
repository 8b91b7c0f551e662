/**
 * pool_xml_catalog.xml, the LFN → file map that Gaudi/ROOT payloads read, in the layout DIRAC's
 * PoolXMLSlice writes (minidom's pretty print, three-space indents, one <File> per GUID).
 * Unlike DIRAC, names are escaped once: DIRAC escapes `&` itself and then again through minidom,
 * so a TURL with a query string reached the payload as `&amp;amp;`.
 */
import { constants } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface PoolEntry {
  lfn: string;
  guid: string;
  se: string;
  /** Local path (downloaded) or TURL. */
  turl: string;
  path?: string;
}

const attr = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

export function poolXmlCatalog(files: ReadonlyMap<string, readonly PoolEntry[]>): string {
  let out =
    '<?xml version="1.0" encoding="UTF-8" standalone="no" ?>\n<!-- Edited By PoolXMLCatalog.py -->\n<!DOCTYPE POOLFILECATALOG SYSTEM "InMemory">\n<POOLFILECATALOG>\n\n';
  for (const [lfn, replicas] of files) {
    const first = replicas[0];
    if (!first) continue;
    out += `<File ID="${attr(first.guid)}">\n   <physical>\n`;
    for (const r of replicas) out += `      <pfn filetype="ROOT" name="${attr(r.path ?? r.turl)}" se="${attr(r.se || 'Unknown')}"/>\n`;
    out += `   </physical>\n   <logical>\n      <lfn name="${attr(lfn)}"/>\n   </logical>\n</File>\n`;
  }
  return `${out}\n</POOLFILECATALOG>\n`;
}

export const POOL_XML_CATALOG = 'pool_xml_catalog.xml';

/** Writes the catalog into the job directory; refuses to replace or follow anything already there. */
export async function writePoolXmlCatalog(jobDir: string, files: ReadonlyMap<string, readonly PoolEntry[]>): Promise<string> {
  const path = join(jobDir, POOL_XML_CATALOG);
  const handle = await open(path, 'wx', 0o644);
  try {
    await handle.writeFile(poolXmlCatalog(files));
  } finally {
    await handle.close();
  }
  return path;
}

const unescape = (text: string): string =>
  text.replace(/&(amp|lt|gt|quot|apos|#(\d+)|#x([0-9a-fA-F]+));/g, (_, name: string, dec?: string, hex?: string) => {
    if (dec) return String.fromCodePoint(Number(dec));
    if (hex) return String.fromCodePoint(parseInt(hex, 16));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[name as 'amp'];
  });

/** One attribute of an element's start tag, either quote style; undefined when absent. */
function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`).exec(tag);
  return match ? unescape(match[1] ?? match[2] ?? '') : undefined;
}

/** A GUID as POOL and DIRAC's makeGuid write it; anything else in a job's catalog is ignored. */
const GUID = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

/**
 * PFN name → GUID from a POOL XML catalog's text (PoolXMLCatalog.getGuidByPfn's table): every
 * `<pfn name>` inside a `<File ID>`. Not a general XML parser: comments are dropped, the first GUID
 * given to a name wins, and entries whose ID is not a GUID are left out.
 */
export function poolGuidsByPfn(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = xml.replace(/<!--[\s\S]*?-->/g, '');
  for (const file of text.matchAll(/<File\b([^>]*)>([\s\S]*?)<\/File\s*>/g)) {
    const guid = attribute(file[1]!, 'ID');
    if (!guid || !GUID.test(guid)) continue;
    for (const pfn of file[2]!.matchAll(/<pfn\b([^>]*)>/g)) {
      const name = attribute(pfn[1]!, 'name');
      if (name && !out.has(name)) out.set(name, guid.toUpperCase());
    }
  }
  return out;
}

/** Largest catalog read: a POOL catalog of a job's outputs is kilobytes. */
const MAX_CATALOG_BYTES = 16 * 1024 * 1024;

/**
 * The GUIDs the POOL XML catalogs in the job directory give (PoolXMLFile.getGUID over `*.xml`):
 * regular files only (a link the job planted is not followed), each at most 16 MiB; tarred or
 * gzipped catalogs, which DIRAC unpacks into the directory, are not read.
 */
export async function poolGuidsIn(jobDir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const names = (await readdir(jobDir)).filter((n) => n.endsWith('.xml')).sort();
  for (const name of names) {
    const path = join(jobDir, name);
    let handle;
    try {
      handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      const info = await handle.stat();
      if (!info.isFile() || info.size > MAX_CATALOG_BYTES) continue;
      for (const [pfn, guid] of poolGuidsByPfn(await handle.readFile('utf8'))) if (!out.has(pfn)) out.set(pfn, guid);
    } catch {
      // Unreadable or not a catalog: DIRAC skips such files too.
    } finally {
      await handle?.close();
    }
  }
  return out;
}
