/**
 * What DIRAC's ReqManager does to a request before storing it (Request.optimize, called by
 * ReqManagerHandler.putRequest): a failover series (ReplicateAndRegister followed by a
 * RemoveReplica of the same files) loses its SourceSE when that SE is a failover SE, the series'
 * operations are regrouped (all replications, sorted by target, then all removals), and
 * neighbouring operations alike in Type, Arguments, SourceSE, TargetSE and Catalog, with no file
 * in common, are merged into one. Found with the real services (dirac-kit): the stored request
 * differs from the one put.
 */
type Json = Record<string, unknown>;

const files = (op: Json): Json[] => (Array.isArray(op.Files) ? (op.Files as Json[]) : []);
const lfns = (op: Json): Set<string> => new Set(files(op).map((f) => String(f.LFN)));
const sameSet = (a: Set<string>, b: Set<string>): boolean => a.size === b.size && [...a].every((x) => b.has(x));

/** DMSHelpers.isSEFailover: in DataManagement/SEsUsedForFailover, or, when that is empty, named *FAILOVER*. */
export function isFailoverSE(se: unknown, usedForFailover: readonly string[] = []): boolean {
  if (typeof se !== 'string') return false;
  return usedForFailover.length > 0 ? usedForFailover.includes(se) : se.toUpperCase().includes('FAILOVER');
}

export function optimizeRequest(request: Json, usedForFailover: readonly string[] = []): Json {
  const given = Array.isArray(request.Operations) ? (request.Operations as Json[]) : [];
  const ops: Json[] = given.map((op) => ({ ...op, Files: [...files(op)] }));
  const out: Json[] = [];
  let replications: Json[] = [];
  let removals: Json[] = [];
  const flush = () => {
    const byTarget = (a: Json, b: Json) => String(a.TargetSE ?? '').localeCompare(String(b.TargetSE ?? ''));
    out.push(...[...replications].sort(byTarget), ...[...removals].sort(byTarget));
    replications = [];
    removals = [];
  };
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const next = ops[i + 1];
    if (op.Type === 'ReplicateAndRegister' && next?.Type === 'RemoveReplica' && sameSet(lfns(op), lfns(next))) {
      if (isFailoverSE(op.SourceSE, usedForFailover)) op.SourceSE = '';
      replications.push(op);
      removals.push(next);
      i++;
      continue;
    }
    flush();
    out.push(op);
  }
  flush();
  // Merge neighbours alike in these attributes and without common files.
  const alike = (a: Json, b: Json) =>
    ['Type', 'Arguments', 'SourceSE', 'TargetSE', 'Catalog'].every((k) => (a[k] ?? null) === (b[k] ?? null));
  const merged: Json[] = [];
  for (const op of out) {
    const last = merged.at(-1);
    if (last && alike(last, op) && ![...lfns(op)].some((l) => lfns(last).has(l))) {
      last.Files = [...files(last), ...files(op)];
      continue;
    }
    merged.push(op);
  }
  return { ...request, Operations: merged.map((op, order) => ({ ...op, Order: order })) };
}
