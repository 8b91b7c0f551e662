import { describe, expect, it, vi } from 'vitest';
import { nullLogger } from '../core/null-logger.js';
import {
  IGNORED_SIGNALS,
  STOP_FORCED_EXIT_MS,
  STOP_GRACE_MS,
  STOP_REPORT_MS,
  STOP_SIGNALS,
  holdStopSignalsUntilExit,
  installSignalHandlers,
  underProfiler,
} from './signals.js';

// Listeners are called with process.emit: no real signal reaches the test runner.
describe('stop signals (issue 16 §1)', () => {
  it('every stop signal aborts the shutdown signal once, with 128+N; the forced exit spools first, then exits', async () => {
    for (const name of STOP_SIGNALS) {
      const exits: number[] = [];
      const order: string[] = [];
      const shutdown = installSignalHandlers(nullLogger(), {
        forcedExitMs: 20,
        exit: (code) => {
          order.push('exit');
          exits.push(code);
        },
      });
      shutdown.beforeForcedExit(() => order.push('spool'));
      shutdown.beforeForcedExit(() => {
        throw new Error('a failing hook does not stop the exit');
      });
      try {
        process.emit(name as NodeJS.Signals, name as NodeJS.Signals);
        process.emit('SIGTERM', 'SIGTERM'); // a second signal changes nothing
        expect(shutdown.signal.aborted, name).toBe(true);
        expect(shutdown.received(), name).toBe(name);
        await new Promise((resolve) => setTimeout(resolve, 60));
        expect(exits, name).toEqual([shutdown.exitCode()]);
        expect(order, name).toEqual(['spool', 'exit']);
        expect(shutdown.exitCode()! - 128, name).toBeGreaterThan(0);
      } finally {
        shutdown.dispose();
      }
    }
  });

  it('ignored signals neither stop the pilot nor let the default action kill it', () => {
    const before = new Map([...STOP_SIGNALS, ...IGNORED_SIGNALS].map((name) => [name, process.listenerCount(name)]));
    const shutdown = installSignalHandlers(nullLogger(), { exit: () => undefined });
    try {
      for (const name of IGNORED_SIGNALS) {
        expect(process.listenerCount(name)).toBeGreaterThan(0);
        process.emit(name as NodeJS.Signals, name as NodeJS.Signals);
      }
      expect(shutdown.signal.aborted).toBe(false);
    } finally {
      shutdown.dispose();
    }
    for (const [name, count] of before) expect(process.listenerCount(name), name).toBe(count);
  });

  it("leaves SIGPROF to V8's sampler when the pilot runs under a profiler", () => {
    expect(underProfiler(['--cpu-prof', '--cpu-prof-dir=/tmp/p'], '')).toBe(true);
    expect(underProfiler([], '--max-old-space-size=64 --prof')).toBe(true);
    expect(underProfiler(['--cpu-prof-dir=/tmp/p'], '')).toBe(false);
    expect(underProfiler(['--max-old-space-size=64'], '--profile-x')).toBe(false);
  });

  it('a stop signal after the session closed keeps the exit code the pilot decided; a pilot still alive is ended 128+N later', () => {
    vi.useFakeTimers();
    const exits: number[] = [];
    const release = holdStopSignalsUntilExit((code) => exits.push(code), 1_000);
    try {
      // During the session its own handler takes the signal: the hold does nothing.
      const shutdown = installSignalHandlers(nullLogger(), { exit: () => undefined });
      process.emit('SIGTERM', 'SIGTERM');
      shutdown.dispose();
      vi.advanceTimersByTime(30_000);
      expect(exits).toEqual([]);
      // After it, the signal is held (the default action would have killed the pilot) ...
      expect(process.listenerCount('SIGHUP')).toBe(1);
      process.emit('SIGHUP', 'SIGHUP');
      vi.advanceTimersByTime(999);
      expect(exits).toEqual([]);
      // ... and only a pilot that never exited is ended, with the signal's code.
      vi.advanceTimersByTime(1);
      expect(exits).toEqual([129]);
    } finally {
      release();
      vi.useRealTimers();
    }
  });

  it('the timeline fits the grace: reporting ends, then the forced exit, both inside it', () => {
    expect(STOP_REPORT_MS).toBeLessThan(STOP_FORCED_EXIT_MS);
    expect(STOP_FORCED_EXIT_MS).toBeLessThan(STOP_GRACE_MS);
    expect(STOP_GRACE_MS).toBeLessThan(30_000); // Slurm's KillWait
  });
});
