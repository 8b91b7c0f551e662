import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { PilotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';

/** Where the server's CA certificates come from. */
export interface TrustOptions {
  /** A grid CA directory (`X509_CERT_DIR` style): every hashed `*.0` … `*.9` and `*.pem` file in it. */
  caDir?: string;
  /** One PEM bundle file. */
  caFile?: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
// Grid CA directories hold `<hash>.0` links next to `.signing_policy`, `.namespaces`, `.crl_url`
// and `.r0` CRLs; only the certificates matter here.
const CA_FILE_NAME = /(^[0-9a-f]{8}\.\d+$)|(\.pem$)|(\.crt$)/i;

/** Every PEM certificate in `text`; empty when none. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERT) ?? [];
}

function readCertificatesFromFile(file: string): string[] {
  try {
    return pemCertificates(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PilotError(ExitCode.TLS, `cannot read CA file ${file}: ${(error as Error).message}`);
  }
}

/** Certificates from a grid CA directory; duplicates (a hash link and its target) collapse. */
export function loadCaDirectory(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new PilotError(ExitCode.TLS, `cannot read CA directory ${dir}: ${(error as Error).message}`);
  }
  const certs = new Set<string>();
  for (const name of names.sort()) {
    if (!CA_FILE_NAME.test(name)) continue;
    const file = path.join(dir, name);
    try {
      if (!statSync(file).isFile()) continue;
    } catch {
      continue; // a dangling hash link: skip it, the directory may still hold the CA we need
    }
    for (const cert of readCertificatesFromFile(file)) certs.add(cert);
  }
  if (certs.size === 0) throw new PilotError(ExitCode.TLS, `no CA certificates found in ${dir}`);
  return [...certs];
}

/**
 * The CA list to verify the DiracX server with, or undefined for Node's bundled roots.
 * Both options may be given; their certificates add up.
 */
export function loadTrustedCas(options: TrustOptions): string[] | undefined {
  if (!options.caDir && !options.caFile) return undefined;
  const certs: string[] = [];
  if (options.caDir) certs.push(...loadCaDirectory(options.caDir));
  if (options.caFile) {
    const fromFile = readCertificatesFromFile(options.caFile);
    if (fromFile.length === 0) throw new PilotError(ExitCode.TLS, `no PEM certificate in CA file ${options.caFile}`);
    certs.push(...fromFile);
  }
  return certs;
}

/**
 * Presigned storage URLs may live on an S3 endpoint with a public certificate: trust the
 * configured grid CAs and Node's bundled roots there.
 */
export function storageCas(serverCas: string[] | undefined): string[] | undefined {
  return serverCas ? [...serverCas, ...rootCertificates] : undefined;
}
