/**
 * pool_xml_catalog.xml, the LFN → file map that Gaudi/ROOT payloads read, in the layout DIRAC's
 * PoolXMLSlice writes (minidom's pretty print, three-space indents, one <File> per GUID).
 * Unlike DIRAC, names are escaped once: DIRAC escapes `&` itself and then again through minidom,
 * so a TURL with a query string reached the payload as `&amp;amp;`.
 */
import { open } from 'node:fs/promises';
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
