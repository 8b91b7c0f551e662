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

/** The text without its comments; an unclosed comment runs to the end. One pass (indexOf only). */
function withoutComments(xml: string): string {
  const parts: string[] = [];
  let at = 0;
  for (;;) {
    const open = xml.indexOf('<!--', at);
    if (open < 0) break;
    parts.push(xml.slice(at, open));
    const close = xml.indexOf('-->', open + 4);
    at = close < 0 ? xml.length : close + 3;
  }
  parts.push(xml.slice(at));
  return parts.join('');
}

const NAME_CHAR = /[A-Za-z0-9_:.-]/;

/** Where `<name` starts a tag of that name (not a longer one) at or after `from`, before `end`; -1 when none. */
function tagStart(text: string, name: string, from: number, end: number): number {
  let at = from;
  for (;;) {
    const found = text.indexOf(`<${name}`, at);
    if (found < 0 || found >= end) return -1;
    const next = text[found + name.length + 1];
    if (next === undefined || !NAME_CHAR.test(next)) return found;
    at = found + name.length + 1;
  }
}

/** The end (index after `>`) of the first `</File>` (spaces allowed before `>`) at or after `from`; -1 when none. */
function fileCloseEnd(text: string, from: number): number {
  let at = from;
  for (;;) {
    const found = text.indexOf('</File', at);
    if (found < 0) return -1;
    let i = found + 6;
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (text[i] === '>') return i + 1;
    at = i;
  }
}

/**
 * PFN name → GUID from a POOL XML catalog's text (PoolXMLCatalog.getGuidByPfn's table): every
 * `<pfn name>` inside a `<File ID>`. Not a general XML parser: comments are dropped, the first GUID
 * given to a name wins, and entries whose ID is not a GUID are left out. The catalog is the job's
 * to write: one pass over the text with indexOf, never a regular expression that rescans it (the
 * lazy `<File …>…</File>` pattern this replaced took hours on 16 MiB of unclosed `<File` tags, the
 * pilot's only thread blocked all along).
 */
export function poolGuidsByPfn(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  const text = withoutComments(xml);
  let at = 0;
  for (;;) {
    const open = tagStart(text, 'File', at, text.length);
    if (open < 0) break;
    const tagEnd = text.indexOf('>', open);
    if (tagEnd < 0) break;
    const closeEnd = fileCloseEnd(text, tagEnd + 1);
    if (closeEnd < 0) break;
    const bodyEnd = text.lastIndexOf('</File', closeEnd);
    at = closeEnd;
    const guid = attribute(text.slice(open + 5, tagEnd), 'ID');
    if (!guid || !GUID.test(guid)) continue;
    let p = tagEnd + 1;
    for (;;) {
      const pfn = tagStart(text, 'pfn', p, bodyEnd);
      if (pfn < 0) break;
      const pfnEnd = text.indexOf('>', pfn);
      if (pfnEnd < 0 || pfnEnd >= bodyEnd) break;
      const name = attribute(text.slice(pfn + 4, pfnEnd), 'name');
      if (name && !out.has(name)) out.set(name, guid.toUpperCase());
      p = pfnEnd + 1;
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
