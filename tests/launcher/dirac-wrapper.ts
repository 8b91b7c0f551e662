/**
 * A pilot wrapper made the way DIRAC v9's SiteDirector makes one (PilotWrapper.pilotWrapperScript,
 * read for its steps, written here anew): a bash script that picks a Python, which logs to stdout
 * and to a buffer, works in a fresh DIRAC_*pilot directory, unpacks the bundled proxy
 * (bz2+base64, X509_USER_PROXY), downloads checksums.sha512, pilot.json and pilot.tar from the
 * first location that serves all three (https locations, then `file:` CVMFS locations, without
 * checking the server's certificate, 10 s each), untars pilot.tar, checks every listed file it has
 * against its sha512, then runs `python dirac-pilot.py <options> --pilotUUID <uuid>` with the
 * buffered log records on stdin, removes its directory and exits 1 if the pilot failed.
 *
 * With DIRAC_PILOT_WRAPPER_PY naming DIRAC's own PilotWrapper.py (it imports nothing of DIRAC),
 * `diracWrapper` builds the wrapper with DIRAC's function instead.
 */
import { execFileSync } from 'node:child_process';
import { bzip2Compress } from './bzip2.js';

export interface WrapperInput {
  /** Options as the SiteDirector passes them (a string, split on spaces). */
  pilotOptions: string;
  /** File server locations, comma-separated, as /Operations/…/Pilot/pilotFileServer. */
  location: string;
  /** CVMFS locations (the wrapper adds `<project>dirac/pilot`). */
  cvmfsLocations?: string[];
  /** Where the wrapper makes its working directory (empty: its cwd). */
  pilotExecDir?: string;
  /** Bundled proxy file text (the SiteDirector ships the pilot proxy inside the wrapper). */
  proxyPem?: string;
  envVariables?: Record<string, string>;
}

export function diracWrapper(input: WrapperInput): string {
  const real = process.env.DIRAC_PILOT_WRAPPER_PY;
  return real ? diracOwnWrapper(real, input) : recreatedWrapper(input);
}

function pyString(text: string): string {
  return JSON.stringify(text); // a JSON string is a valid Python string literal for this text
}

function recreatedWrapper(input: WrapperInput): string {
  const project = / -l /.test(input.pilotOptions)
    ? `${input.pilotOptions.split(' ')[input.pilotOptions.split(' ').indexOf('-l') + 1]!.toLowerCase()}dirac`
    : 'dirac';
  const cvmfs = (input.cvmfsLocations ?? ['/cvmfs/dirac.egi.eu']).map((loc) => `file:${loc.replace(/\/$/, '')}/${project}/pilot`);
  const files: Record<string, string> = {};
  if (input.proxyPem) files.proxy = bzip2Compress(Buffer.from(input.proxyPem)).toString('base64');
  return `#!/bin/bash
if command -v python &> /dev/null; then
  py='python'
elif command -v python3 &> /dev/null; then
  py='python3'
fi
/usr/bin/env $py - "$py" << 'PYEOF'
import base64, bz2, hashlib, io, json, logging, os, shlex, shutil, ssl, subprocess, sys, tarfile, tempfile, time
from urllib.request import urlopen
from uuid import uuid1
py = sys.argv[1]
logging.Formatter.converter = time.gmtime
fmt = logging.Formatter('%(asctime)s %(levelname)-8s [%(name)s] %(message)s')
buffer = io.StringIO()
logger = logging.getLogger('pilotLogger')
logger.setLevel(logging.DEBUG)
for handler in (logging.StreamHandler(sys.stdout), logging.StreamHandler(buffer)):
    handler.setFormatter(fmt)
    logger.addHandler(handler)
for key, value in os.environ.items():
    logger.debug(key + '=' + value)
execDir = ${pyString(input.pilotExecDir ?? '')} or os.getcwd()
workDir = os.path.realpath(tempfile.mkdtemp(suffix='pilot', prefix='DIRAC_', dir=execDir))
os.chdir(workDir)
logger.info('Launching dirac-pilot script from %s' % workDir)
for name, packed in json.loads(${pyString(JSON.stringify(files))}).items():
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with io.open(fd, 'wb') as out:
        out.write(bz2.decompress(base64.b64decode(packed)))
for name, value in json.loads(${pyString(JSON.stringify(input.envVariables ?? {}))}).items():
    os.environ[name] = value
if os.path.exists('proxy'):
    os.environ['X509_USER_PROXY'] = os.path.join(workDir, 'proxy')
locs = [loc if loc.startswith(('file:', 'https:')) else 'https://' + loc for loc in ${pyString(input.location)}.replace(' ', '').split(',') if loc]
locations = locs + [os.path.join(loc, 'pilot') for loc in locs] + json.loads(${pyString(JSON.stringify(cvmfs))})
for loc in locations:
    try:
        for name in ['checksums.sha512', 'pilot.json', 'pilot.tar']:
            data = urlopen(os.path.join(loc, name), timeout=10, context=ssl._create_unverified_context()).read()
            with open(name, 'wb') as out:
                out.write(data)
        with tarfile.open('pilot.tar', 'r') as tar:
            tar.extractall()
        break
    except Exception as error:
        logger.error('%s unreachable: %r' % (loc, error))
else:
    logger.error('None of the locations of the pilot files is reachable')
    sys.exit(255)
for line in open('checksums.sha512').read().split('\\n'):
    if not line.strip():
        continue
    expected, name = line.split('  ', 1)
    if not os.path.exists(name):
        continue
    if hashlib.sha512(open(name, 'rb').read()).hexdigest() != expected:
        logger.error('Checksum mismatch for file %r' % name)
        sys.exit(255)
uuid = os.environ.get('DIRAC_PILOT_STAMP') or str(uuid1())
opt = ${pyString(input.pilotOptions)} + ' --pilotUUID ' + uuid
logger.info('dirac-pilot.py will be called with %s' % opt)
proc = subprocess.Popen(shlex.split(py + ' dirac-pilot.py ' + opt), stdin=subprocess.PIPE, stdout=sys.stdout, stderr=sys.stderr, universal_newlines=True)
proc.communicate(buffer.getvalue())
os.chdir(execDir)
shutil.rmtree(workDir)
sys.exit(1 if proc.returncode else 0)
PYEOF
`;
}

/** DIRAC's own pilotWrapperScript, run from its module (DIRAC-free by design). */
function diracOwnWrapper(modulePath: string, input: WrapperInput): string {
  const files: Record<string, string> = {};
  if (input.proxyPem) files.proxy = bzip2Compress(Buffer.from(input.proxyPem)).toString('base64');
  const program = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location('PilotWrapper', sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
args = json.loads(sys.stdin.read())
sys.stdout.write(module.pilotWrapperScript(pilotFilesCompressedEncodedDict=args['files'], pilotOptions=args['options'],
    pilotExecDir=args['execDir'], envVariables=args['env'], location=args['location'], CVMFS_locations=args['cvmfs']))
`;
  return execFileSync('python3', ['-c', program, modulePath], {
    input: JSON.stringify({
      files,
      options: input.pilotOptions,
      execDir: input.pilotExecDir ?? '',
      env: input.envVariables ?? {},
      location: input.location,
      cvmfs: input.cvmfsLocations ?? null,
    }),
    encoding: 'utf8',
  });
}
