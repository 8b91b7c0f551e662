/**
 * Wind-down before the kill (issue 21 §2; DIRAC #8745/#8746). An elastic payload (an event loop)
 * that gets StopSigNumber finishes its current event, writes its outputs and exits cleanly; the
 * watchdog's usual kill comes only later. Sent to the payload's processes whose command line
 * matches StopSigRegex:
 *   - when the job has used StopSigStartWork (a fraction) of its CPU work budget; the CPU kill then
 *     comes at StopSigFinishWork of it instead of at the budget;
 *   - when the pilot itself must wind down (drain file, MJF shutdowntime, a batch preemption
 *     notice), whatever the job has used.
 * The regex is the job's: it is matched under a deadline, so a catastrophic pattern costs 100 ms,
 * not the pilot.
 */
import { runInNewContext } from 'node:vm';
import { constants } from 'node:os';

export interface WindDownRule {
  /** JavaScript regular expression source, matched against the space-joined command line. */
  regex: string;
  signal: number;
  /** Fraction of the job's CPU work budget at which the signal is sent. */
  startFraction: number;
  /** Fraction of the budget at which the CPU kill follows (1 = the budget itself). */
  finishFraction: number;
}

/** DIRAC's Watchdog defaults: SIGINT; and a window that leaves an event loop a tenth of its budget. */
export const WIND_DOWN_DEFAULTS = { signal: 2, startFraction: 0.9, finishFraction: 1 } as const;

const MAX_REGEX_LENGTH = 1000;
const MATCH_DEADLINE_MS = 100;

export class WindDownError extends Error {}

function fraction(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || number > 1)
    throw new WindDownError(`${name}: expected a fraction in (0, 1], got ${String(value)}`);
  return number;
}

function signalNumber(value: unknown): number {
  if (value === undefined || value === null || value === '') return WIND_DOWN_DEFAULTS.signal;
  const text = String(value).trim();
  const byName = (constants.signals as Record<string, number>)[
    text.toUpperCase().startsWith('SIG') ? text.toUpperCase() : `SIG${text.toUpperCase()}`
  ];
  const number = /^\d+$/.test(text) ? Number(text) : byName;
  // SIGKILL and SIGSTOP cannot be handled: they would not wind anything down.
  if (!number || number < 1 || number > 64 || number === 9 || number === 19)
    throw new WindDownError(`StopSigNumber: not a signal a payload can handle: ${text}`);
  return number;
}

/**
 * The job's rule from its description (JDL keys StopSigRegex, StopSigNumber, StopSigStartWork,
 * StopSigFinishWork), the pilot's configured values filling in; null when no regex is given.
 * Throws WindDownError, naming the key, for values a job got wrong (the job's failure).
 */
export function windDownRule(
  raw: Readonly<Record<string, unknown>>,
  configured: Partial<Record<string, unknown>> = {},
): WindDownRule | null {
  const pick = (key: string): unknown =>
    Object.hasOwn(raw, key) ? raw[key] : Object.hasOwn(configured, key) ? configured[key] : undefined;
  const regex = pick('StopSigRegex');
  if (regex === undefined || regex === null || String(regex) === '') return null;
  const source = String(regex);
  if (source.length > MAX_REGEX_LENGTH) throw new WindDownError(`StopSigRegex: longer than ${MAX_REGEX_LENGTH} characters`);
  try {
    new RegExp(source);
  } catch (error) {
    throw new WindDownError(`StopSigRegex: not a regular expression: ${(error as Error).message}`);
  }
  const startFraction = fraction(pick('StopSigStartWork'), 'StopSigStartWork', WIND_DOWN_DEFAULTS.startFraction);
  const finishFraction = fraction(pick('StopSigFinishWork'), 'StopSigFinishWork', WIND_DOWN_DEFAULTS.finishFraction);
  if (finishFraction < startFraction)
    throw new WindDownError(`StopSigFinishWork ${finishFraction} is below StopSigStartWork ${startFraction}`);
  return { regex: source, signal: signalNumber(pick('StopSigNumber')), startFraction, finishFraction };
}

/**
 * Which of `commandLines` (pid → command line) the job's regex matches. Runs in a separate V8
 * context under a deadline: a pattern that backtracks forever is cut off and matches nothing.
 */
export function matchCommandLines(regex: string, commandLines: ReadonlyMap<number, string>): { pids: number[]; timedOut: boolean } {
  const entries = [...commandLines];
  try {
    const matched = runInNewContext(
      'const re = new RegExp(source); entries.filter(([, line]) => re.test(line)).map(([pid]) => pid)',
      { source: regex, entries },
      { timeout: MATCH_DEADLINE_MS },
    ) as number[];
    return { pids: [...matched], timedOut: false };
  } catch {
    return { pids: [], timedOut: true };
  }
}
