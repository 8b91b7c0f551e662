import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';

export interface DevTlsMaterial {
  /** PEM of the CA that signed the server certificate: what a client must trust. */
  caFile: string;
  /** Grid-style CA directory (`<hash>.0`), as X509_CERT_DIR would point to. */
  caDir: string;
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

const OPENSSL_TIMEOUT_MS = 30_000;

async function openssl(args: string[], cwd: string): Promise<string> {
  const { stdout } = await execa('openssl', args, { cwd, timeout: OPENSSL_TIMEOUT_MS, stdin: 'ignore' });
  return stdout;
}

const SERVER_EXTENSIONS = [
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature',
  'extendedKeyUsage = serverAuth',
  'subjectAltName = DNS:localhost, IP:127.0.0.1',
  '',
].join('\n');

/**
 * A throw-away CA and a server certificate for 127.0.0.1/localhost, made with the openssl CLI
 * (P-256 keys, 30 days). Private keys are written 0600 in `dir` (created 0700).
 */
export async function generateDevTls(dir: string): Promise<DevTlsMaterial> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(
    [
      'req',
      '-x509',
      '-new',
      ...ec,
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '30',
      '-subj',
      '/O=DIRAC pilot dev/CN=DIRAC pilot dev CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  await chmod(path.join(dir, 'ca.key'), 0o600);
  await openssl(['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/O=DIRAC pilot dev/CN=localhost'], dir);
  await chmod(path.join(dir, 'server.key'), 0o600);
  await writeFile(path.join(dir, 'server.ext'), SERVER_EXTENSIONS);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-days',
      '30',
      '-sha256',
      '-extfile',
      'server.ext',
      '-out',
      'server.pem',
    ],
    dir,
  );
  const caDir = path.join(dir, 'certificates');
  await mkdir(caDir, { recursive: true, mode: 0o755 });
  const hash = (await openssl(['x509', '-hash', '-noout', '-in', 'ca.pem'], dir)).trim();
  await copyFile(path.join(dir, 'ca.pem'), path.join(caDir, `${hash}.0`));
  return {
    caFile: path.join(dir, 'ca.pem'),
    caDir,
    certFile: path.join(dir, 'server.pem'),
    keyFile: path.join(dir, 'server.key'),
    cert: await readFile(path.join(dir, 'server.pem'), 'utf8'),
    key: await readFile(path.join(dir, 'server.key'), 'utf8'),
  };
}
