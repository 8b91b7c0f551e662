import type { Logger } from 'pino';

/**
 * A logger with nowhere to write: read-only subcommands (`pilot probe`, `check --json`, …) that
 * keep stderr clean and have no log file get this instead of pino, which would otherwise be
 * loaded (with worker_threads, streams and assert) only to drop every line.
 */
export function nullLogger(): Logger {
  const noop = (): void => undefined;
  const logger = {
    level: 'silent',
    trace: noop,
    debug: noop,
    info: noop,
    warn: noop,
    error: noop,
    fatal: noop,
    silent: noop,
    flush: noop,
    child: () => logger,
    bindings: () => ({}),
    setBindings: noop,
    isLevelEnabled: () => false,
  };
  return logger as unknown as Logger;
}
