/**
 * The legacy demo's data job: a storage element that is a directory (file://, so the demo needs
 * no storage server), an input file registered in the dev FileCatalog, and a job that reads it
 * (InputData, downloaded and checked) and writes an output (OutputData, uploaded and registered).
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { adler32, diracAdlerHex } from '../data/adler32.js';
import type { DevDataSetup, DevDataState } from './data-services.js';
import type { DevJobSpec } from './index.js';

export const DEMO_SITE = 'DIRAC.Demo.local';
const INPUT_LFN = '/gridpp/demo/input/events.txt';

export async function demoData(dir: string, state: DevDataState): Promise<void> {
  const root = join(dir, 'storage', 'DEMO-SE');
  const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => `event ${i} energy ${(i * 7919) % 1000}\n`).join(''));
  const file = join(root, INPUT_LFN);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, content);
  const md5 = createHash('md5').update(content).digest('hex').toUpperCase();
  state.files.set(INPUT_LFN, {
    size: content.length,
    checksum: diracAdlerHex(adler32(content)),
    checksumType: 'AD',
    guid: `${md5.slice(0, 8)}-${md5.slice(8, 12)}-${md5.slice(12, 16)}-${md5.slice(16, 20)}-${md5.slice(20)}`,
    replicas: new Map([['DEMO-SE', '']]),
  });
}

export function demoDataSetup(dir: string): DevDataSetup {
  return {
    site: DEMO_SITE,
    storageElements: [
      { name: 'DEMO-SE', endpoints: [{ section: 'POSIX', protocol: 'file', host: '', path: join(dir, 'storage', 'DEMO-SE') }] },
    ],
    siteSEs: ['DEMO-SE'],
    defaultOutputSEs: ['DEMO-SE'],
    failoverSEs: [],
    inputDataPolicy: ['DIRAC.WorkloadManagementSystem.Client.DownloadInputData'],
  };
}

export const DEMO_DATA_JOB: DevJobSpec = {
  jobId: 150,
  fields: {
    Executable: '/bin/sh',
    Arguments: 'analyse.sh',
    JobName: 'legacy-data',
    CPUTime: 600,
    StdOutput: 'std.out',
    StdError: 'std.err',
    InputData: [`LFN:${INPUT_LFN}`],
    OutputData: ['summary.txt'],
    OutputSandbox: ['std.out', 'std.err'],
  },
  inputFiles: {
    'analyse.sh': 'set -e\nwc -l events.txt | tee summary.txt\necho "summary.txt will be uploaded to DEMO-SE and registered"\n',
  },
};
