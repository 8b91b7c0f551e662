/** PEM block splitting shared by proxy files, CA directories and ProxyManager replies. */

export interface PemBlock {
  /** `CERTIFICATE`, `RSA PRIVATE KEY`, `PRIVATE KEY`, `DIRACX`, … */
  label: string;
  /** The block exactly as written, BEGIN/END lines included, with a trailing newline. */
  text: string;
  /** The base64 body decoded. */
  der: Buffer;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)-----END \1-----/g;

export function splitPem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const [whole, label, body] = match as unknown as [string, string, string];
    blocks.push({ label, text: `${whole.replace(/\r\n/g, '\n')}\n`, der: Buffer.from(body.replace(/\s+/g, ''), 'base64') });
  }
  return blocks;
}

/** "DC=org\nDC=example\nCN=Alice" (node:crypto's form) → "/DC=org/DC=example/CN=Alice" (DIRAC's). */
export function diracDN(nodeSubject: string): string {
  return `/${nodeSubject.split('\n').join('/')}`;
}
