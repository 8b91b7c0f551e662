import { excerpt, runOrFail } from './command.js';
import { TimeLeftSourceError, type ResourceUsage, type SourceContext, type TimeLeftSource } from './types.js';

/**
 * HTCondor has no slot limit of its own; sites that set one put it in the job ad as MaxRuntime
 * (CERN's convention, which DIRAC relies on). Wall clock only. First `condor_status -ads`, which
 * evaluates expressions, as DIRAC does; then the job ad file read directly, which needs no
 * HTCondor tools on PATH (containers) and no configuration.
 */

const STATUS = 'htcondor:condor_status';
const JOB_AD = 'htcondor:job-ad';

/** `condor_status -ads $_CONDOR_JOB_AD -af MaxRuntime CurrentTime-JobCurrentStartDate` */
export function parseCondorStatusAf(stdout: string): ResourceUsage {
  const words = stdout
    .trim()
    .split(/\s+/)
    .filter((word) => word.length > 0);
  if (words.length !== 2) throw new TimeLeftSourceError(STATUS, `expected "MaxRuntime elapsed", got ${excerpt(stdout)}`);
  const [limitText, elapsedText] = words as [string, string];
  if (limitText === 'undefined') throw new TimeLeftSourceError(STATUS, 'MaxRuntime is undefined in the job ad (site sets no limit)');
  if (elapsedText === 'undefined') throw new TimeLeftSourceError(STATUS, 'JobCurrentStartDate is undefined in the job ad');
  return wallClockUsage(STATUS, seconds(STATUS, 'MaxRuntime', limitText), seconds(STATUS, 'elapsed time', elapsedText));
}

/** The job ad file: `Attribute = value` lines. MaxRuntime and JobCurrentStartDate must be literal numbers. */
export function parseJobAd(text: string, now: number): ResourceUsage {
  const attributes = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][\w.]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (match) attributes.set((match[1] as string).toLowerCase(), match[2] as string);
  }
  if (attributes.size === 0) throw new TimeLeftSourceError(JOB_AD, `no "Attribute = value" lines in the job ad ${excerpt(text)}`);
  const limitText = attributes.get('maxruntime');
  if (limitText === undefined || limitText === 'undefined') {
    throw new TimeLeftSourceError(JOB_AD, 'MaxRuntime is not in the job ad (site sets no limit)');
  }
  const startText = attributes.get('jobcurrentstartdate');
  if (startText === undefined) throw new TimeLeftSourceError(JOB_AD, 'JobCurrentStartDate is not in the job ad');
  const limit = seconds(JOB_AD, 'MaxRuntime', limitText);
  const start = seconds(JOB_AD, 'JobCurrentStartDate', startText);
  return wallClockUsage(JOB_AD, limit, Math.max(0, now - start));
}

export const htcondorSources: TimeLeftSource[] = [
  {
    name: STATUS,
    async read(context: SourceContext) {
      const adPath = jobAdPath(context, STATUS);
      // Skipping the local configuration avoids authentication attempts some sites' configs trigger.
      const stdout = await runOrFail(
        context,
        STATUS,
        'condor_status',
        ['-ads', adPath, '-af', 'MaxRuntime', 'CurrentTime-JobCurrentStartDate'],
        { SKIP_LOCAL_CONFIG_FILE: 'true' },
      );
      return parseCondorStatusAf(stdout);
    },
  },
  {
    name: JOB_AD,
    async read(context: SourceContext) {
      const adPath = jobAdPath(context, JOB_AD);
      let text: string;
      try {
        text = await context.readText(adPath);
      } catch (error) {
        throw new TimeLeftSourceError(JOB_AD, `cannot read ${adPath}: ${(error as Error).message}`);
      }
      return parseJobAd(text, context.now());
    },
  },
];

function jobAdPath(context: SourceContext, source: string): string {
  const adPath = context.env._CONDOR_JOB_AD;
  if (!adPath) throw new TimeLeftSourceError(source, '_CONDOR_JOB_AD is not set');
  return adPath;
}

function wallClockUsage(source: string, limit: number, elapsed: number): ResourceUsage {
  if (limit <= 0) throw new TimeLeftSourceError(source, `MaxRuntime is ${limit}: no limit to count down from`);
  return { CPU: null, CPULimit: null, WallClock: elapsed, WallClockLimit: limit, Unit: 'WallClock', source };
}

function seconds(source: string, field: string, text: string): number {
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new TimeLeftSourceError(source, `${field} is not a number: ${excerpt(text)}`);
  return Number(text);
}
