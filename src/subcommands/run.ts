import type { Subcommand } from '../pilot/cli.js';
import { COMMANDS } from '../commands/index.js';
import { DEFAULT_PIPELINE, extensionNames, resolvePipeline, runPipeline } from '../pilot/pipeline.js';
import { openSession } from './session.js';
import { ExitCode } from '../core/exit-codes.js';
import { isSeaExecutable } from '../native/sea.js';
import { currentLaunch } from '../pilot/launch-info.js';
import { dryRunReport } from '../commands/dry-run.js';
import { applyRuntime, restoreRuntimeEnvironment, RUN_RUNTIME } from '../pilot/runtime-reexec.js';
import { diracOptionsReport, installOnlyGiven } from '../pilot/dirac-options.js';
import { readWrapperRecords } from '../pilot/wrapper-records.js';
import { startRemoteLogging } from '../commands/remote-logging.js';

/** What `--dry-run` runs: everything up to the match request, nothing that talks to the server. */
const DRY_RUN_COMMANDS = new Set(['check-worker-node', 'describe-resources', 'measure-cpu-power', 'compute-cpu-work-left']);

export const runSubcommand: Subcommand = {
  name: 'run',
  details: `Pipeline commands (-X a,b,…; DIRAC's names are accepted too): ${[...COMMANDS.keys()].join(', ')}.
Default: ${DEFAULT_PIPELINE.join(', ')}.`,
  async run(parsed) {
    // Before anything is opened or spawned: a pilot that will supervise jobs replaces itself once
    // with the same command under its memory settings (src/pilot/runtime-reexec.ts). Not for
    // --dry-run, which supervises nothing (and is the build's code-cache warm-up, whose exit hook
    // an execve would skip).
    let runtimeSkipped: string | null = null;
    if (!parsed.params.dryRun) {
      const facts = {
        execPath: process.execPath,
        argv: process.argv,
        execArgv: process.execArgv,
        env: process.env,
        isSea: isSeaExecutable(),
      };
      applyRuntime(facts, RUN_RUNTIME, (reason) => (runtimeSkipped = reason));
    }
    const reexecuted = restoreRuntimeEnvironment(process.env);
    const session = await openSession(parsed, { workDir: parsed.params.dryRun ? 'if-given' : true });
    const { ctx } = session;
    try {
      // --edge: the same pipeline with the edge agent in place of the job agent.
      const defaults = ctx.params.edge ? DEFAULT_PIPELINE.map((n) => (n === 'run-jobs' ? 'run-edge' : n)) : [...DEFAULT_PIPELINE];
      const names = ctx.params.commands ?? defaults;
      let commands = resolvePipeline(names, COMMANDS, extensionNames(ctx.params));
      if (ctx.params.dryRun) commands = commands.filter((c) => DRY_RUN_COMMANDS.has(c.name));
      // -z with -g: DIRAC's remote logger gets the log from here on, the wrapper's records included.
      const remoteLog = ctx.params.dryRun ? null : await startRemoteLogging(ctx);
      ctx.logger.info({ stamp: ctx.pilotStamp, workDir: ctx.workDir, commands: commands.map((c) => c.name) }, 'pilot starting');
      const ignored = installOnlyGiven(parsed.params);
      if (ignored.length > 0) ctx.logger.info(`nothing to install: ${ignored.join(' ')} ignored`);
      // DIRAC's wrapper hands over its own log records on stdin: they go into this pilot's log
      // (and with -z to the server, through the log shipper), before anything else happens.
      const wrapper = await readWrapperRecords();
      for (const line of wrapper.lines) ctx.logger.info({ source: 'wrapper' }, line);
      if (wrapper.truncated) ctx.logger.warn({ source: 'wrapper' }, 'wrapper records on stdin cut short (size or time limit)');
      ctx.logger.debug(
        { reexecuted, settings: reexecuted ? RUN_RUNTIME : null, skipped: runtimeSkipped, launch: currentLaunch() },
        'pilot runtime',
      );
      const result = await runPipeline(ctx, commands);
      if (ctx.params.dryRun && result.exitCode === ExitCode.OK) {
        const dirac = { ...diracOptionsReport(ctx.params, parsed.params, ctx.env), wrapperRecords: wrapper.lines.length };
        process.stdout.write(`${JSON.stringify({ ...(await dryRunReport(ctx)), dirac }, null, 2)}\n`);
      }
      const signalCode = session.shutdown.exitCode();
      const exitCode = signalCode ?? result.exitCode;
      ctx.logger.info({ exitCode, timings: result.timings }, result.error ? `pilot ending: ${result.error}` : 'pilot ending');
      if (result.error && exitCode !== ExitCode.OK) process.stderr.write(`pilot: ${result.error}\n`);
      await remoteLog?.finish(exitCode);
      return exitCode;
    } finally {
      await session.close();
    }
  },
};
