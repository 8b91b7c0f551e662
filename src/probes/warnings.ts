import type { ProbeWarning } from './types.js';

/** Collects what each probe could not read, so the result says so instead of throwing. */
export class Warnings {
  readonly list: ProbeWarning[] = [];

  add(probe: string, message: string): void {
    this.list.push({ probe, message });
  }
}
