import { TimeLeftSourceError, type SourceContext } from './types.js';

/** Run a command for a source; a non-zero exit becomes a TimeLeftSourceError quoting its first stderr line. */
export async function runOrFail(
  context: SourceContext,
  source: string,
  command: string,
  args: readonly string[],
  env?: Record<string, string>,
): Promise<string> {
  const result = await context.run(command, args, env ? { env } : undefined);
  if (result.exitCode !== 0) {
    const reason = firstLine(result.stderr) || firstLine(result.stdout) || 'no output';
    throw new TimeLeftSourceError(source, `\`${command}\` exited with ${result.exitCode}: ${reason}`);
  }
  return result.stdout;
}

export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line.length > 0) ?? ''
  );
}

/** Shorten captured output for an error message, so one bad reply does not flood the log. */
export function excerpt(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length === 0) return '(empty output)';
  return flat.length > max ? `'${flat.slice(0, max)}…'` : `'${flat}'`;
}

export function requireJobId(context: SourceContext, source: string, variable: string): string {
  if (!context.jobId) throw new TimeLeftSourceError(source, `no job id (${variable} is not set)`);
  // Job ids go to commands as argv entries, never through a shell; still refuse anything odd.
  if (!/^[\w.\-\[\]@]+$/.test(context.jobId)) {
    throw new TimeLeftSourceError(source, `job id ${JSON.stringify(context.jobId)} has unexpected characters`);
  }
  return context.jobId;
}
