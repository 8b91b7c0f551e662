import { describe, expect, it } from 'vitest';
import { extensionNames, resolvePipeline, runPipeline, DEFAULT_PIPELINE } from './pipeline.js';
import type { PilotCommand, PilotContext } from './context.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { resolveParams } from './params.js';
import { silentLogger } from '../core/logger.js';

function command(name: string, run: PilotCommand['run'] = async () => {}): PilotCommand {
  return { name, description: name, run };
}

const registry = new Map(DEFAULT_PIPELINE.map((n) => [n, command(n)] as const));

async function context(): Promise<PilotContext> {
  return {
    params: await resolveParams({}),
    logger: silentLogger(),
    env: {},
    workDir: '/tmp',
    pilotStamp: 's',
    startedAt: new Date(),
    shutdown: new AbortController().signal,
    native: null,
  };
}

describe('pipeline', () => {
  it('maps DIRAC command names and runs each command once', () => {
    const names = resolvePipeline(
      [
        'CheckWorkerNode',
        'InstallDIRAC',
        'ConfigureSite',
        'ConfigureArchitecture',
        'ConfigureCPURequirements',
        'RegisterPilot',
        'LaunchAgent',
      ],
      registry,
    ).map((c) => c.name);
    expect(names).toEqual([
      'check-worker-node',
      'describe-resources',
      'measure-cpu-power',
      'compute-cpu-work-left',
      'authenticate',
      'register-pilot',
      'run-jobs',
    ]);
  });

  it("maps a VO extension's command names (the LHCb pilot's, from pilot.json Commands) when the extension is named", () => {
    const lhcb = [
      'CheckWorkerNode',
      'LHCbInstallDIRAC',
      'LHCbConfigureBasics',
      'RegisterPilot',
      'CheckCECapabilities',
      'LHCbAddCVMFSTags',
      'ConfigureArchitectureWithoutCLI',
      'ConfigureCPURequirements',
      'LaunchAgent',
    ];
    const names = resolvePipeline(
      lhcb,
      registry,
      extensionNames({ commandExtensions: ['LHCbPilot'], extraPackages: [], releaseProject: undefined }),
    ).map((c) => c.name);
    expect(names).toEqual([
      'check-worker-node',
      'authenticate',
      'register-pilot',
      'describe-resources',
      'measure-cpu-power',
      'compute-cpu-work-left',
      'run-jobs',
    ]);
    expect(extensionNames({ commandExtensions: [], extraPackages: ['LHCbDIRAC'], releaseProject: 'DIRAC' })).toEqual(['LHCb']);
    // Without the extension named, or for a command no extension of DIRAC's has, the name is unknown.
    expect(() => resolvePipeline(['LHCbConfigureBasics'], registry)).toThrow(/unknown pipeline command 'LHCbConfigureBasics'/);
    expect(() => resolvePipeline(['LHCbDoSomethingElse'], registry, ['LHCb'])).toThrow(/unknown pipeline command 'LHCbDoSomethingElse'/);
  });

  it('refuses an unknown command before running anything (exit code 4)', () => {
    try {
      resolvePipeline(['describe-resources', 'NoSuchCommand'], registry);
      throw new Error('accepted');
    } catch (error) {
      expect((error as PilotError).exitCode).toBe(ExitCode.UNKNOWN_COMMAND);
      expect((error as PilotError).message).toMatch(/^unknown pipeline command 'NoSuchCommand'/);
    }
  });

  it('stops at the first failure with its exit code, and times every command', async () => {
    const ran: string[] = [];
    const commands = [
      command('a', async () => void ran.push('a')),
      command('b', async () => {
        ran.push('b');
        throw new PilotError(ExitCode.WORKDIR, 'disk full');
      }),
      command('c', async () => void ran.push('c')),
    ];
    const result = await runPipeline(await context(), commands);
    expect(ran).toEqual(['a', 'b']);
    expect(result.exitCode).toBe(ExitCode.WORKDIR);
    expect(result.error).toBe('b: disk full');
    expect(result.timings.map((t) => [t.name, t.ok])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('gives COMMAND_FAILED for an unexpected error', async () => {
    const result = await runPipeline(await context(), [
      command('x', async () => {
        throw new TypeError('boom');
      }),
    ]);
    expect(result.exitCode).toBe(ExitCode.COMMAND_FAILED);
  });

  it('ends with the outcome a command sets on purpose', async () => {
    const result = await runPipeline(await context(), [
      command('x', async (ctx) => {
        ctx.outcome = { exitCode: ExitCode.BLACK_HOLE, reason: 'black hole' };
      }),
      command('y', async () => {
        throw new Error('must not run');
      }),
    ]);
    expect(result).toMatchObject({ exitCode: ExitCode.BLACK_HOLE, error: 'black hole' });
  });
});
