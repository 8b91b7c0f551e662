import { resolve } from 'node:path';

/**
 * The files holding the pilot's own credentials (DiracX credentials JSON, X.509 proxy, pilot
 * secret), listed once per pilot by the session that parsed the parameters and carried from there
 * as a plain value: the runner choice (commands/wiring.ts chooseRunner) holds them, the job
 * wrapper passes them to startPayload, and the direct runner hides them from every payload (see
 * hide-secrets.ts). Kept apart from the runner so the session can list them without loading it.
 */
export interface SecretFiles {
  /** Absolute paths, as given (relative ones resolved against the pilot's directory when listed). */
  files: string[];
  /** Set when hiding was turned off on purpose (PILOT_NO_SECRET_HIDING): why, for the notice. */
  disabled?: string;
}

/** Environment variable that turns the hiding off (tests of the fallback, or a node where it misbehaves). */
export const NO_SECRET_HIDING_ENV = 'PILOT_NO_SECRET_HIDING';

/** Nothing to hide: a pilot with no credential file (tests, `pilot exec` without one). */
export function noSecretFiles(): SecretFiles {
  return { files: [] };
}

/** The pilot's credential files as the runner takes them; empty or missing entries are skipped, duplicates dropped. */
export function secretFilesOf(files: ReadonlyArray<string | undefined>, env: NodeJS.ProcessEnv = process.env): SecretFiles {
  const resolved = [...new Set(files.filter((f): f is string => typeof f === 'string' && f.length > 0).map((f) => resolve(f)))];
  const off = env[NO_SECRET_HIDING_ENV];
  return {
    files: resolved,
    ...(off !== undefined && off !== '' && off !== '0' ? { disabled: `${NO_SECRET_HIDING_ENV} is set` } : {}),
  };
}
