/**
 * DIRAC's pilot wrapper passes the log records it gathered before starting the pilot on the
 * pilot's stdin (PilotWrapper: `proc.communicate(buffer)`), for the remote logger. They are read
 * here only when stdin is not a terminal, never blocking the start: at most `maxBytes`, and no
 * longer than `waitMs` when the other end keeps stdin open without writing (a batch system's pipe).
 */
export interface WrapperRecords {
  lines: string[];
  /** True when the cap or the wait cut the reading short. */
  truncated: boolean;
}

export function readWrapperRecords(
  stdin: NodeJS.ReadStream = process.stdin,
  options: { maxBytes?: number; waitMs?: number } = {},
): Promise<WrapperRecords> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  const waitMs = options.waitMs ?? 1000;
  if (stdin.isTTY) return Promise.resolve({ lines: [], truncated: false });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (truncated: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stdin.off('data', onData).off('end', onEnd).off('error', onEnd);
      // Nothing more is read: the handle must not keep the pilot alive or hold the pipe.
      stdin.pause();
      stdin.destroy();
      const text = Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
      resolve({
        lines: text
          .split('\n')
          .map((l) => redact(l.trimEnd()))
          .filter(Boolean),
        truncated,
      });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxBytes) finish(true);
    };
    const onEnd = (): void => finish(false);
    const timer = setTimeout(() => finish(true), waitMs);
    timer.unref();
    stdin.on('data', onData).once('end', onEnd).once('error', onEnd);
  });
}

/** The wrapper starts by logging its whole environment: values of secret-looking variables never reach the log. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|PROXY|KEY|^DIRACX_|^PILOT_/i;

export function redact(line: string): string {
  const match = /(^|\s)([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
  if (!match || !SECRET_NAME.test(match[2]!)) return line;
  return `${line.slice(0, match.index + match[1]!.length)}${match[2]}=<redacted>`;
}
