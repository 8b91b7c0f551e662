import { constants } from 'node:fs';
import { access } from '../fs-async.js';
import { runBounded } from '../run-bounded.js';
import { isAbsolute, join } from 'node:path';
import type { Env } from '../batch/types.js';
import type { Warnings } from '../warnings.js';

/** One GPU row of `nvidia-smi --query-gpu`. */
export interface NvidiaSmiGpu {
  index: number;
  name: string;
  uuid: string;
  memoryMB: number | null;
  driverVersion: string | null;
  computeCapability: string | null;
  busId: string | null;
}

export const NVIDIA_SMI_FIELDS = ['index', 'name', 'uuid', 'memory.total', 'driver_version', 'compute_cap', 'pci.bus_id'];

/** nvidia-smi prints `[N/A]`, `N/A` or `[Not Supported]` for fields a GPU lacks. */
function present(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === '' || /^\[?(N\/A|Not Supported|Unknown Error)\]?$/i.test(trimmed) ? null : trimmed;
}

/**
 * The CSV of `--query-gpu=index,name,uuid,memory.total,driver_version,compute_cap,pci.bus_id`,
 * with or without the header line and units (`81559 MiB`). Rows that do not fit are reported
 * and skipped; null when nothing at all could be read.
 */
export function parseNvidiaSmiCsv(text: string, warnings: Warnings): NvidiaSmiGpu[] | null {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  let columns = NVIDIA_SMI_FIELDS;
  if (lines[0]?.toLowerCase().startsWith('index')) {
    columns = (lines.shift() as string).split(',').map((name) => name.trim().replace(/\s*\[.*\]$/, ''));
  }
  const gpus: NvidiaSmiGpu[] = [];
  for (const line of lines) {
    const cells = line.split(',').map((cell) => cell.trim());
    const get = (name: string): string | null => present(cells[columns.indexOf(name)]);
    const index = get('index');
    const uuid = get('uuid');
    if (cells.length !== columns.length || index === null || !/^\d+$/.test(index) || uuid === null || !/^(GPU|MIG)-/.test(uuid)) {
      warnings.add('gpu', `nvidia-smi line not understood: ${JSON.stringify(line.slice(0, 80))}`);
      continue;
    }
    const memory = get('memory.total');
    const memoryMatch = memory !== null ? /^(\d+(?:\.\d+)?)(?:\s*MiB)?$/.exec(memory) : null;
    const capability = get('compute_cap');
    gpus.push({
      index: Number(index),
      name: get('name') ?? 'unknown',
      uuid,
      memoryMB: memoryMatch ? Math.round(Number(memoryMatch[1])) : null,
      driverVersion: get('driver_version'),
      computeCapability: capability !== null && /^\d+\.\d+$/.test(capability) ? capability : null,
      busId: get('pci.bus_id'),
    });
  }
  return gpus.length > 0 || lines.length === 0 ? gpus : null;
}

/** `nvidia-smi -q -x` output, for captures that have the XML instead of the CSV. */
export function parseNvidiaSmiXml(text: string): NvidiaSmiGpu[] {
  const driver = /<driver_version>([^<]+)<\/driver_version>/.exec(text)?.[1]?.trim() ?? null;
  const gpus: NvidiaSmiGpu[] = [];
  const blocks = text.split(/<gpu id="/).slice(1);
  blocks.forEach((block, position) => {
    const tag = (name: string): string | null => new RegExp(`<${name}>([^<]*)</${name}>`).exec(block)?.[1]?.trim() ?? null;
    const memory = /<fb_memory_usage>\s*<total>(\d+)\s*MiB<\/total>/.exec(block)?.[1];
    const uuid = tag('uuid');
    if (!uuid) return;
    gpus.push({
      index: Number(tag('minor_number') ?? position) || position,
      name: tag('product_name') ?? 'unknown',
      uuid,
      memoryMB: memory ? Number(memory) : null,
      driverVersion: driver,
      computeCapability: null,
      busId: block.slice(0, block.indexOf('"')) || null,
    });
  });
  return gpus;
}

/** Where nvidia-smi hides when it is not on PATH (GPU operator, container toolkit, vendor installs). */
const KNOWN_DIRS = ['/usr/local/nvidia/bin', '/usr/bin', '/opt/nvidia/bin', '/usr/local/bin', '/opt/nvidia'];

export async function findNvidiaSmi(env: Env): Promise<string | null> {
  const dirs = [...(env.PATH ?? '').split(':').filter((dir) => isAbsolute(dir)), ...KNOWN_DIRS];
  for (const dir of [...new Set(dirs)]) {
    const candidate = join(dir, 'nvidia-smi');
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return null;
}

/** One nvidia-smi call with a hard timeout; null (and a warning) on timeout, failure or nonsense. */
export async function runNvidiaSmi(binary: string, timeoutMs: number, warnings: Warnings): Promise<NvidiaSmiGpu[] | null> {
  try {
    const result = await runBounded(binary, [`--query-gpu=${NVIDIA_SMI_FIELDS.join(',')}`, '--format=csv,noheader,nounits'], { timeoutMs });
    if (result.timedOut) {
      warnings.add('gpu', `${binary} did not answer within ${timeoutMs} ms; GPU memory and compute capability unknown`);
      return null;
    }
    if (result.startError) {
      warnings.add('gpu', `${binary} could not be run: ${result.startError}`);
      return null;
    }
    if (result.exitCode !== 0) {
      const why =
        String(result.stderr || result.stdout || '')
          .split('\n')[0]
          ?.slice(0, 120) ?? '';
      warnings.add('gpu', `${binary} exited with ${result.exitCode ?? result.signal}: ${why}`);
      return null;
    }
    const parsed = parseNvidiaSmiCsv(String(result.stdout), warnings);
    if (parsed === null) warnings.add('gpu', `${binary} printed nothing usable`);
    return parsed;
  } catch (error) {
    warnings.add('gpu', `${binary} could not be run: ${(error as Error).message.split('\n')[0]}`);
    return null;
  }
}
