/**
 * Which replica to read, as DIRAC's DownloadInputData and InputDataByProtocol choose: replicas at
 * the site's local SEs first (disk before tape, several at the same level in random order), then
 * the rest, disk before tape; SEs unknown to the configuration or banned for reading are never
 * used (DIRAC drops what is not a known SE).
 */
import type { DataConfig } from './types.js';

export interface ReplicaChoice {
  se: string;
  pfn: string;
  local: boolean;
}

function shuffled<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Every usable replica of one file, best first. */
export function orderReplicas(
  replicas: ReadonlyMap<string, string>,
  config: Pick<DataConfig, 'storageElements' | 'localSEs'>,
  random: () => number = Math.random,
): ReplicaChoice[] {
  const local = new Set(config.localSEs);
  const groups: [ReplicaChoice[], ReplicaChoice[], ReplicaChoice[], ReplicaChoice[]] = [[], [], [], []];
  for (const [se, pfn] of replicas) {
    const known = config.storageElements.get(se);
    if (!known || !known.readAccess) continue;
    const isLocal = local.has(se);
    groups[(isLocal ? 0 : 2) + (known.tape ? 1 : 0)]!.push({ se, pfn, local: isLocal });
  }
  return groups.flatMap((g) => shuffled(g, random));
}

/** The replicas InputDataByProtocol may hand out: local SEs only, unless AllReplicas is set. */
export function protocolReplicas(
  replicas: ReadonlyMap<string, string>,
  config: Pick<DataConfig, 'storageElements' | 'localSEs' | 'allReplicas'>,
  random: () => number = Math.random,
): ReplicaChoice[] {
  const ordered = orderReplicas(replicas, config, random);
  const local = ordered.filter((r) => r.local);
  // Tape replicas only where no disk replica is local (DIRAC: disk favoured at the same site).
  const localDisk = local.filter((r) => !config.storageElements.get(r.se)!.tape);
  const chosen = localDisk.length > 0 ? localDisk : local;
  if (!config.allReplicas) return chosen;
  return [...chosen, ...ordered.filter((r) => !r.local && !config.storageElements.get(r.se)!.tape)];
}
