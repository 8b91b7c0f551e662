import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeCapture } from '../test-fixtures.js';
import { Warnings } from '../warnings.js';
import { probeNode } from '../index.js';
import { parseNvidiaSmiCsv, parseNvidiaSmiXml, runNvidiaSmi } from './nvidia-smi.js';
import { parseNvidiaDriverVersion, parseNvidiaInformation } from './nvidia-proc.js';

const h100 = nodeCapture('h100-x86_64');
const H100_ROW = {
  index: 0,
  name: 'NVIDIA H100 80GB HBM3',
  uuid: 'GPU-1a2431af-ffb7-e916-44f1-02ed035f959c',
  memoryMB: 81559,
  driverVersion: '580.159.04',
  computeCapability: '9.0',
  busId: '00000000:00:06.0',
};

describe('nvidia-smi output parsers on the H100 capture', () => {
  it('reads the CSV with header and units', () => {
    const warnings = new Warnings();
    const rows = parseNvidiaSmiCsv(readFileSync(path.join(h100, 'nvidia-smi-query.csv'), 'utf8'), warnings);
    // The capture queried memory.used too; extra columns are fine when the header names them.
    expect(rows).toEqual([H100_ROW]);
    expect(warnings.list).toEqual([]);
  });
  it('reads the noheader,nounits form the probe asks for', () => {
    const warnings = new Warnings();
    const rows = parseNvidiaSmiCsv(
      '0, NVIDIA H100 80GB HBM3, GPU-1a2431af-ffb7-e916-44f1-02ed035f959c, 81559, 580.159.04, 9.0, 00000000:00:06.0\n',
      warnings,
    );
    expect(rows).toEqual([H100_ROW]);
  });
  it('reads the XML of nvidia-smi -q -x', () => {
    const rows = parseNvidiaSmiXml(readFileSync(path.join(h100, 'nvidia-smi-q.xml'), 'utf8'));
    expect(rows).toEqual([{ ...H100_ROW, computeCapability: null }]);
  });
  it('reads the driver files', () => {
    expect(parseNvidiaDriverVersion(readFileSync(path.join(h100, 'proc_driver_nvidia_version'), 'utf8'))).toBe('580.159.04');
    const info = parseNvidiaInformation(
      '0000:00:06.0',
      'Model: \t\t NVIDIA H100 80GB HBM3\nGPU UUID: \t GPU-1a2431af-ffb7-e916-44f1-02ed035f959c\nDevice Minor: \t 0\n',
    );
    expect(info).toEqual({
      busId: '0000:00:06.0',
      model: 'NVIDIA H100 80GB HBM3',
      uuid: 'GPU-1a2431af-ffb7-e916-44f1-02ed035f959c',
      minor: 0,
    });
  });
  it('skips nonsense rows with a warning, and N/A fields become null', () => {
    const warnings = new Warnings();
    const rows = parseNvidiaSmiCsv('0, Tesla T4, GPU-aaaa, [N/A], 535.1, [N/A], 0000:01:00.0\nFailed to initialize NVML\n', warnings);
    expect(rows).toEqual([
      {
        index: 0,
        name: 'Tesla T4',
        uuid: 'GPU-aaaa',
        memoryMB: null,
        driverVersion: '535.1',
        computeCapability: null,
        busId: '0000:01:00.0',
      },
    ]);
    expect(warnings.list[0]?.message).toMatch(/not understood: "Failed to initialize NVML"/);
    expect(parseNvidiaSmiCsv('garbage\n', new Warnings())).toBeNull();
  });
});

describe('running nvidia-smi', () => {
  let dir: string;
  const fake = async (name: string, body: string): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, `#!/bin/sh\n${body}\n`);
    await chmod(file, 0o755);
    return file;
  };
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'fake-nvidia-smi-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('parses a good answer and passes the query it was asked for', async () => {
    const good = await fake(
      'good',
      'case "$1" in --query-gpu=index,name,uuid,memory.total,driver_version,compute_cap,pci.bus_id) ;; *) exit 9;; esac\n[ "$2" = "--format=csv,noheader,nounits" ] || exit 8\necho "0, NVIDIA H100 80GB HBM3, GPU-1a2431af-ffb7-e916-44f1-02ed035f959c, 81559, 580.159.04, 9.0, 00000000:00:06.0"',
    );
    const warnings = new Warnings();
    expect(await runNvidiaSmi(good, 5000, warnings)).toEqual([H100_ROW]);
    expect(warnings.list).toEqual([]);
  });
  it('gives up on a hanging nvidia-smi after the timeout, with a warning', async () => {
    const hang = await fake('hang', 'exec sleep 30');
    const warnings = new Warnings();
    expect(await runNvidiaSmi(hang, 300, warnings)).toBeNull();
    expect(warnings.list[0]?.message).toMatch(/did not answer within 300 ms/);
  });
  it('reports nonsense and failures without throwing', async () => {
    const nonsense = await fake('nonsense', 'echo "No devices were found"; echo "%%%"');
    const failing = await fake(
      'failing',
      'echo "NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver" >&2; exit 9',
    );
    const warnings = new Warnings();
    expect(await runNvidiaSmi(nonsense, 5000, warnings)).toBeNull();
    expect(await runNvidiaSmi(failing, 5000, warnings)).toBeNull();
    expect(await runNvidiaSmi(path.join(dir, 'absent'), 5000, warnings)).toBeNull();
    const messages = warnings.list.map((warning) => warning.message).join('\n');
    expect(messages).toMatch(/printed nothing usable/);
    expect(messages).toMatch(/exited with 9: NVIDIA-SMI has failed/);
    expect(messages).toMatch(/could not be run/);
  });
  it('probeNode keeps the driver files answer when nvidia-smi hangs', async () => {
    const hang = await fake('hang2', 'exec sleep 30');
    const probe = await probeNode({ root: h100, nvidiaSmi: { path: hang, timeoutMs: 300 } });
    expect(probe.gpus).toEqual([
      {
        vendor: 'nvidia',
        model: 'NVIDIA H100 80GB HBM3',
        uuid: 'GPU-1a2431af-ffb7-e916-44f1-02ed035f959c',
        memoryMB: null,
        driverVersion: '580.159.04',
        computeCapability: '9.0',
      },
    ]);
    expect(probe.warnings.some((warning) => warning.probe === 'gpu' && /did not answer/.test(warning.message))).toBe(true);
  });
});
