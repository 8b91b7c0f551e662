/**
 * DIRAC's status timestamps are strings (`2024-10-17 13:41:46.123456`, UTC). JobLoggingDB orders a
 * job's records by StatusTimeOrder, kept to the millisecond (DOUBLE(12,3)), so two updates must be
 * at least a millisecond apart or the history may show them in either order.
 */
export class StatusClock {
  private last = new Map<number, bigint>();

  /** A timestamp for `jobId` strictly after the previous one issued for it. */
  next(jobId: number, when: Date = new Date()): string {
    let micros = BigInt(when.getTime()) * 1000n;
    const previous = this.last.get(jobId);
    if (previous !== undefined && micros < previous + 1000n) micros = previous + 1000n;
    this.last.set(jobId, micros);
    return formatMicros(micros);
  }
}

export function formatMicros(micros: bigint): string {
  const date = new Date(Number(micros / 1000n));
  const frac = String(micros % 1_000_000n).padStart(6, '0');
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}.${frac}`;
}
