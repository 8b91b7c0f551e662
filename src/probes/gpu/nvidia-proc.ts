import type { NodeSource } from '../source.js';
import type { Warnings } from '../warnings.js';

/** One GPU as the loaded driver describes it in /proc/driver/nvidia/gpus/<bus>/information. */
export interface NvidiaProcGpu {
  busId: string;
  model: string | null;
  uuid: string | null;
  minor: number | null;
}

export function parseNvidiaInformation(busId: string, text: string): NvidiaProcGpu {
  const field = (name: string): string | null => {
    const match = new RegExp(`^${name}:\\s*(.+?)\\s*$`, 'm').exec(text);
    return match ? (match[1] ?? null) : null;
  };
  const minor = field('Device Minor');
  return { busId, model: field('Model'), uuid: field('GPU UUID'), minor: minor !== null && /^\d+$/.test(minor) ? Number(minor) : null };
}

/** `NVRM version: NVIDIA UNIX ... Kernel Module for x86_64  580.159.04  Release Build ...` → 580.159.04. */
export function parseNvidiaDriverVersion(text: string): string | null {
  const line = text.split('\n').find((entry) => entry.startsWith('NVRM version:'));
  const match = line ? /\s(\d+\.\d+(?:\.\d+)?)\s/.exec(line) : null;
  return match ? (match[1] ?? null) : null;
}

export interface NvidiaProcInfo {
  driverLoaded: boolean;
  driverVersion: string | null;
  gpus: NvidiaProcGpu[];
}

/** What the driver tells without running a binary: loaded or not, its version, each GPU's model and UUID. */
export async function readNvidiaProc(source: NodeSource, warnings: Warnings): Promise<NvidiaProcInfo> {
  const [versionText, busIds] = await Promise.all([
    source.readText('/proc/driver/nvidia/version'),
    source.listDir('/proc/driver/nvidia/gpus'),
  ]);
  const driverVersion = versionText !== null ? parseNvidiaDriverVersion(versionText) : null;
  if (versionText !== null && driverVersion === null) warnings.add('gpu', '/proc/driver/nvidia/version has no version number');
  const gpus = await Promise.all(
    (busIds ?? []).sort().map(async (busId) => {
      const text = await source.readText(`/proc/driver/nvidia/gpus/${busId}/information`);
      if (text === null) {
        warnings.add('gpu', `/proc/driver/nvidia/gpus/${busId}/information cannot be read`);
        return { busId, model: null, uuid: null, minor: null };
      }
      return parseNvidiaInformation(busId, text);
    }),
  );
  return { driverLoaded: versionText !== null || (busIds?.length ?? 0) > 0, driverVersion, gpus };
}
