/**
 * DIRAC's Request.getDigest() for a new request: what the JobWrapper stores as the job's
 * PendingRequest parameter once the failover request is in ReqManager.
 */
import type { DataRequest } from './types.js';

export function requestDigest(request: DataRequest): string {
  const lines = [`Name:${request.RequestName}`];
  request.Operations.forEach((op, i) => {
    const parts = [op.Type, op.Type, i === 0 ? 'Waiting' : 'Queued', String(i)];
    if (op.TargetSE) parts.push(op.TargetSE);
    if (op.Catalog) parts.push(op.Catalog);
    const first = op.Files[0];
    if (first) parts.push(first.LFN + (op.Files.length > 1 ? `...+<${op.Files.length - 1} files>` : ''));
    lines.push(parts.join(':'));
  });
  return lines.join('\n');
}
