import { mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type DestinationStream, type Logger } from 'pino';
import { nullLogger } from './null-logger.js';

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear in a logged object. */
export const REDACTED_KEYS = [
  'access_token',
  'refresh_token',
  'accessToken',
  'refreshToken',
  'token',
  'pilot_secret',
  'pilotSecret',
  'secret',
  'password',
  'authorization',
  'Authorization',
  'credentials',
  'privateKey',
  'private_key',
];

const redactPaths = REDACTED_KEYS.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

export interface LoggerOptions {
  /** JSON lines go here (the pilot's work directory); omitted in tests. */
  file?: string;
  debug?: boolean;
  /** Readable lines on stderr: default when stderr is a terminal. */
  pretty?: boolean;
  /** Silence the human stream entirely (e.g. `--json` output on stdout must stay clean). */
  quiet?: boolean;
}

const LEVEL_NAMES: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One readable line per record: `12:00:01 INFO  [run-jobs] job 12 Done {extra}`. */
export function formatHumanLine(record: Record<string, unknown>): string {
  const { time, level, msg, cmd, pid: _pid, hostname: _host, ...rest } = record;
  const stamp = typeof time === 'number' ? new Date(time).toISOString().slice(11, 19) : '';
  const name = (LEVEL_NAMES[level as number] ?? String(level)).padEnd(5);
  const scope = cmd ? `[${String(cmd)}] ` : '';
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
  return `${stamp} ${name} ${scope}${String(msg ?? '')}${extra}\n`;
}

function humanStream(out: DestinationStream): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (!line) continue;
        let text: string;
        try {
          text = formatHumanLine(JSON.parse(line));
        } catch {
          text = `${line}\n`;
        }
        out.write(text);
      }
    },
  };
}

/** What a log destination that cannot write does with its lines (exported for tests and the final report). */
export interface LogWriteFailures {
  /** Lines dropped since the first failure. */
  dropped: number;
  /** The error code of the last failure (ENOSPC, EIO, EFBIG, EPIPE, …). */
  lastCode: string | null;
}

/** How long a non-blocking descriptor (EAGAIN) may hold one line before it is dropped. */
const EAGAIN_LIMIT_MS = 1_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * A synchronous destination that never throws and never emits 'error': a full disk (ENOSPC), a
 * file-size limit (EFBIG), a vanished terminal (EIO) or a closed pipe (EPIPE) must not end the
 * pilot with a stack trace while its jobs still need reporting. A line that cannot be written is
 * dropped and counted; the first drop is said once on `notify` (stderr for the log file), and
 * when writing works again the file gets one line saying how many were lost.
 */
export function safeDestination(
  fd: number,
  name: string,
  notify: ((text: string) => void) | null,
  failures: LogWriteFailures = { dropped: 0, lastCode: null },
): DestinationStream & { failures: LogWriteFailures } {
  const writeAll = (text: string): void => {
    let buffer = Buffer.from(text, 'utf8');
    let stalledSince = 0;
    while (buffer.length > 0) {
      try {
        buffer = buffer.subarray(writeSync(fd, buffer));
        stalledSince = 0;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
        const now = Date.now();
        stalledSince ||= now;
        if (now - stalledSince > EAGAIN_LIMIT_MS) throw error;
        Atomics.wait(pause, 0, 0, 5);
      }
    }
  };
  return {
    failures,
    write(line: string): void {
      try {
        if (failures.dropped > 0) {
          const lost = failures.dropped;
          writeAll(
            `${JSON.stringify({ level: 40, time: Math.floor(Date.now()), msg: `${lost} log line(s) lost: ${name} could not be written (${failures.lastCode ?? 'error'})` })}\n`,
          );
          failures.dropped -= lost;
        }
        writeAll(line);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'error';
        if (failures.dropped === 0 && failures.lastCode === null) {
          try {
            notify?.(`pilot: cannot write ${name} (${code}): log lines are dropped and counted; the pilot goes on\n`);
          } catch {
            // nowhere left to say it
          }
        }
        failures.dropped++;
        failures.lastCode = code;
      }
    },
  };
}

const stderrNotice = (text: string): void => {
  try {
    writeSync(2, text);
  } catch {
    // stderr gone as well
  }
};

/**
 * The pilot's logger: pino JSON lines to a file, readable lines on stderr.
 * Secrets are redacted here, at the logger, so no call site has to remember.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.debug ? 'debug' : 'info';
  const streams: pino.StreamEntry[] = [];
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
    // Synchronous writes: the pilot exits with process.exit() once its work is done, and a line
    // lost at exit (the reason it stopped, the last job status) is the one a site admin needs.
    // Never pino.destination: its stream emits 'error' on ENOSPC, an uncaught exception (issue 16).
    const fd = openSync(options.file, 'a', 0o600);
    streams.push({ level: 'debug', stream: safeDestination(fd, options.file, stderrNotice) });
  }
  if (!options.quiet) {
    const pretty = options.pretty ?? process.stderr.isTTY === true;
    streams.push({ level, stream: pretty ? humanStream(safeDestination(2, 'stderr', null)) : safeDestination(2, 'stderr', null) });
  }
  const destinations = pino.multistream(streams.length > 0 ? streams : [{ level: 'fatal', stream: process.stderr }]);
  const logger = pino(
    {
      level: 'debug',
      base: undefined,
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.epochTime,
    },
    destinations,
  );
  multistreams.set(logger, destinations);
  return logger;
}

const multistreams = new WeakMap<Logger, ReturnType<typeof pino.multistream>>();

/**
 * Adds a destination to a logger made by createLogger, e.g. the remote pilot-log shipper once the
 * server connection exists. Lines already logged are not replayed. Redaction applies as before.
 */
export function addLogDestination(logger: Logger, stream: DestinationStream, level: pino.Level = 'info'): boolean {
  const destinations = multistreams.get(logger);
  if (!destinations) return false;
  destinations.add({ level, stream });
  return true;
}

/** A logger that drops everything: for unit tests and library callers that pass none. */
export function silentLogger(): Logger {
  return nullLogger();
}
