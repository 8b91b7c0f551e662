/**
 * Why a sandbox archive was refused. Each code names one rule of docs/sandboxes.md, so the job
 * wrapper can report a precise minor status and tests can pin which rule fired.
 */
export const SANDBOX_REASONS = [
  'absolute-path',
  'path-traversal',
  'bad-path',
  'symlink-escape',
  'hardlink-escape',
  'device',
  'unsupported-entry',
  'type-conflict',
  'too-large',
  'ratio',
  'too-many-entries',
  'checksum',
  'corrupt',
  'unsupported-format',
  'exists',
  'io',
] as const;
export type SandboxReason = (typeof SANDBOX_REASONS)[number];

/** A refused or failed sandbox operation; `message` is one line naming the entry when there is one. */
export class SandboxError extends Error {
  readonly reason: SandboxReason;
  /** The archive entry the rule fired on, when the failure belongs to one. */
  readonly entry: string | undefined;

  constructor(reason: SandboxReason, message: string, options?: { entry?: string; cause?: unknown }) {
    const entry = options?.entry;
    super(oneLine(entry === undefined ? message : `${message} (entry ${JSON.stringify(entry)})`), {
      cause: options?.cause,
    });
    this.name = 'SandboxError';
    this.reason = reason;
    this.entry = entry;
  }

  /** The same error naming `entry`, for failures detected below the level that knows the entry. */
  withEntry(entry: string): SandboxError {
    if (this.entry !== undefined) return this;
    const error = new SandboxError(this.reason, this.message, { entry, cause: this.cause });
    return error;
  }
}

export function isSandboxError(error: unknown): error is SandboxError {
  return error instanceof SandboxError;
}

/** Archive names are attacker-chosen: keep control characters and newlines out of log lines. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
