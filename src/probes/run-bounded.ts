/** How one bounded run of a probe binary (nvidia-smi, apptainer --version) ended. */
export interface BoundedRun {
  /** The exit status; null when killed by a signal or never started. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Killed (SIGKILL) because it outlived timeoutMs. */
  timedOut: boolean;
  /** Why it could not be started (ENOENT, EACCES, …); null when it ran. */
  startError: string | null;
}

export interface BoundedRunOptions {
  timeoutMs: number;
  /** Output kept per stream; the rest is discarded (a runaway binary cannot fill memory). */
  maxBytes?: number;
}

/**
 * Runs a binary with no shell and no stdin, kills it with SIGKILL after timeoutMs, and never
 * rejects. Probes use this instead of execa: a probe runs at most two short binaries, and
 * loading execa would cost `pilot probe` more than the binaries do.
 */
export function runBounded(file: string, args: readonly string[], options: BoundedRunOptions): Promise<BoundedRun> {
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  return new Promise((resolve) => {
    let child;
    try {
      // Loaded here, not at the top: on most nodes a probe runs no binary at all, and
      // child_process brings net, dgram and the stream stack with it.
      const { spawn } = process.getBuiltinModule('node:child_process');
      child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      resolve({
        exitCode: null,
        signal: null,
        stdout: '',
        stderr: '',
        timedOut: false,
        startError: (error as NodeJS.ErrnoException).code ?? String(error),
      });
      return;
    }
    const out = collect(child.stdout, maxBytes);
    const err = collect(child.stderr, maxBytes);
    let timedOut = false;
    let startError: string | null = null;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error: NodeJS.ErrnoException) => {
      startError = error.code ?? error.message;
    });
    // 'close', not 'exit': the output streams have ended too.
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({
        exitCode: startError ? null : exitCode,
        signal: startError ? null : signal,
        stdout: out(),
        stderr: err(),
        timedOut,
        startError,
      });
    });
  });
}

function collect(stream: NodeJS.ReadableStream, maxBytes: number): () => string {
  const chunks: Buffer[] = [];
  let kept = 0;
  stream.on('data', (chunk: Buffer) => {
    if (kept >= maxBytes) return;
    const part = chunk.subarray(0, maxBytes - kept);
    chunks.push(part);
    kept += part.length;
  });
  return () => Buffer.concat(chunks, kept).toString('utf8');
}
