import { resolve } from 'node:path';

/**
 * The files holding the pilot's own credentials (DiracX credentials JSON, X.509 proxy, pilot
 * secret), registered once per pilot by the session that parsed the parameters, and hidden from
 * every payload the direct runner starts (see hide-secrets.ts). Kept apart from the runner so the
 * session can register them without loading the runner.
 */
export interface SecretFiles {
  /** Absolute paths, as given (relative ones resolved against the pilot's directory at registration). */
  files: string[];
  /** Set when hiding was turned off on purpose (PILOT_NO_SECRET_HIDING): why, for the notice. */
  disabled?: string;
}

/** Environment variable that turns the hiding off (tests of the fallback, or a node where it misbehaves). */
export const NO_SECRET_HIDING_ENV = 'PILOT_NO_SECRET_HIDING';

let registered: SecretFiles = { files: [] };

/** Registers the pilot's credential files; empty or missing entries are skipped. Replaces any earlier registration. */
export function registerSecretFiles(files: ReadonlyArray<string | undefined>, env: NodeJS.ProcessEnv = process.env): void {
  const resolved = [...new Set(files.filter((f): f is string => typeof f === 'string' && f.length > 0).map((f) => resolve(f)))];
  const off = env[NO_SECRET_HIDING_ENV];
  registered = {
    files: resolved,
    ...(off !== undefined && off !== '' && off !== '0' ? { disabled: `${NO_SECRET_HIDING_ENV} is set` } : {}),
  };
}

export function registeredSecretFiles(): SecretFiles {
  return { ...registered, files: [...registered.files] };
}
