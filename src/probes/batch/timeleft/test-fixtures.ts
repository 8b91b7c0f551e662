// Test support only (imported by *.test.ts): captured batch-system outputs and a replaying runner.
import { readFileSync } from 'node:fs';
import { silentLogger } from '../../../core/logger.js';
import type { CommandResult, CommandRunner, SourceContext } from './types.js';

const FIXTURES = new URL('../../../../tests/fixtures/batch-outputs/', import.meta.url);

export function fixturePath(name: string): string {
  return new URL(name, FIXTURES).pathname;
}

export function fixture(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

/** Replays outputs keyed by the full command line ("sacct -j 1 ..."); anything else is "command not found". */
export function replayRunner(replies: Record<string, Partial<CommandResult>>, calls: string[] = []): CommandRunner {
  return async (command, args) => {
    const line = [command, ...args].join(' ');
    calls.push(line);
    const reply = replies[line];
    if (!reply) return { exitCode: 127, stdout: '', stderr: 'command not found' };
    return { exitCode: reply.exitCode ?? 0, stdout: reply.stdout ?? '', stderr: reply.stderr ?? '' };
  };
}

export function testContext(overrides: Partial<SourceContext> = {}): SourceContext {
  return {
    env: {},
    jobId: null,
    run: replayRunner({}),
    readText: async (location) => readFileSync(location, 'utf8'),
    now: () => 1_763_858_700,
    pilotStartedAt: 1_763_858_600,
    hostname: 'wn077.example.org',
    logger: silentLogger(),
    ...overrides,
  };
}
