/**
 * Timestamps for `PATCH /api/jobs/status` keys: timezone-aware (DiracX answers 400 to naive ones)
 * and with microseconds, increasing per job by at least a millisecond, because the server orders
 * a job's updates by these keys, two updates under one key would collapse into one, and
 * JobLoggingDB keeps the order key (StatusTimeOrder) to the millisecond: two records within one
 * millisecond tie, and the history shows them in either order.
 */
/** The resolution of the servers' order key: one millisecond. */
export const ORDER_STEP_MICROS = 1000;

export class StatusClock {
  private readonly lastMicros = new Map<number, number>();

  stamp(jobId: number, when: Date): string {
    const micros = Math.max(when.getTime() * 1000, (this.lastMicros.get(jobId) ?? -ORDER_STEP_MICROS) + ORDER_STEP_MICROS);
    this.lastMicros.set(jobId, micros);
    return formatMicros(micros);
  }

  /** A job the pilot is done with: its last stamp need not be kept for the pilot's life. */
  forget(jobId: number): void {
    this.lastMicros.delete(jobId);
  }

  /** Updates read back from a spool keep their stamps; later ones must come after them. */
  observe(jobId: number, timestamp: string): void {
    const micros = parseMicros(timestamp);
    if (micros !== null && micros > (this.lastMicros.get(jobId) ?? 0)) this.lastMicros.set(jobId, micros);
  }
}

/** `2026-11-22T23:15:57.096795+00:00` */
export function formatMicros(micros: number): string {
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  const fraction = String(((micros % 1_000_000) + 1_000_000) % 1_000_000).padStart(6, '0');
  return `${iso.slice(0, 19)}.${fraction}+00:00`;
}

export function parseMicros(timestamp: string): number | null {
  const match = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})$/.exec(timestamp);
  if (!match) return null;
  const seconds = Date.parse(`${match[1]!.replace(' ', 'T')}${match[3] === 'Z' ? 'Z' : match[3]}`);
  if (Number.isNaN(seconds)) return null;
  return seconds * 1000 + Number((match[2] ?? '').padEnd(6, '0'));
}
