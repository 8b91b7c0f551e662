import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type DestinationStream, type Logger } from 'pino';
import { Writable } from 'node:stream';
import { nullLogger } from './null-logger.js';

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear in a logged object. */
export const REDACTED_KEYS = [
  'access_token', 'refresh_token', 'accessToken', 'refreshToken', 'token', 'pilot_secret', 'pilotSecret',
  'secret', 'password', 'authorization', 'Authorization', 'credentials', 'privateKey', 'private_key',
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

function humanStream(out: NodeJS.WritableStream): DestinationStream {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          out.write(formatHumanLine(JSON.parse(line)));
        } catch {
          out.write(`${line}\n`);
        }
      }
      done();
    },
  });
}

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
    const fd = openSync(options.file, 'a', 0o600);
    streams.push({ level: 'debug', stream: pino.destination({ fd, sync: true }) });
  }
  if (!options.quiet) {
    const pretty = options.pretty ?? process.stderr.isTTY === true;
    streams.push({ level, stream: pretty ? humanStream(process.stderr) : pino.destination({ fd: 2, sync: true }) });
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
