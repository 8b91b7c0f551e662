/**
 * Trust anchors from an X509_CERT_DIR (the IGTF layout: `<hash>.0` links, `*.pem`, plus `.r0`
 * CRLs, `.signing_policy` and `.namespaces` files that are not certificates). Node's tls has no
 * capath option, so the directory is read into the `ca` list.
 */
import { X509Certificate } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { splitPem } from './pem.js';

const CERT_FILE = /(\.pem|\.crt|\.\d+)$/;

export interface CaBundle {
  pems: string[];
  /** Files that looked like certificates but did not parse: reported, not fatal. */
  skipped: string[];
}

export async function loadCaDirectory(dir: string): Promise<CaBundle> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new PilotError(ExitCode.TLS, `CA directory ${dir}: cannot list (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const seen = new Set<string>();
  const pems: string[] = [];
  const skipped: string[] = [];
  for (const name of names.sort()) {
    if (!CERT_FILE.test(name) || /\.r\d+$/.test(name)) continue;
    let text: string;
    try {
      text = await readFile(join(dir, name), 'utf8');
    } catch {
      skipped.push(name);
      continue;
    }
    const blocks = splitPem(text).filter((b) => b.label === 'CERTIFICATE' || b.label === 'TRUSTED CERTIFICATE');
    if (blocks.length === 0) skipped.push(name);
    for (const block of blocks) {
      try {
        const cert = new X509Certificate(block.der);
        if (seen.has(cert.fingerprint256)) continue;
        seen.add(cert.fingerprint256);
        pems.push(cert.toString());
      } catch {
        skipped.push(name);
      }
    }
  }
  if (pems.length === 0) throw new PilotError(ExitCode.TLS, `CA directory ${dir}: no CA certificates found`);
  return { pems, skipped };
}
