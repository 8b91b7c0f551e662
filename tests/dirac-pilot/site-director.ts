/**
 * Option lines as a DIRAC v9 SiteDirector writes them for a queue (DIRAC's
 * SiteDirector._getPilotOptions, integration b5bc25cb, read for its behaviour), and the argument
 * vector its pilot wrapper (PilotWrapper.pilotWrapperScript) then starts the pilot with: the line
 * joined by spaces, `--pilotUUID <uuid>` appended, split as a POSIX shell would (shlex).
 */
export interface SiteDirectorQueue {
  setup: string;
  vo: string;
  ceName: string;
  queueName: string;
  site: string;
  /** Operations Pilot/* values. */
  ops?: {
    Installation?: string;
    Project?: string;
    PreinstalledEnv?: string;
    PreinstalledEnvPrefix?: string;
    CVMFS_locations?: string;
    Extensions?: string[];
  };
  /** CS extensions DIRAC uses when Pilot/Extensions is unset or None. */
  csExtensions?: string[];
  /** Queue parameters. */
  queue?: {
    GenericOptions?: string;
    SharedArea?: string;
    UserEnvVariables?: string;
    ExtraPilotOptions?: string;
    Modules?: string;
    PipInstallOptions?: string;
  };
}

export function siteDirectorOptions(q: SiteDirectorQueue): string[] {
  const out = [`-S ${q.setup}`];
  const ops = q.ops ?? {};
  if (ops.Installation) out.push(`-V ${ops.Installation}`);
  if (ops.Project) out.push(`-l ${ops.Project}`);
  // One of the three, in this order of preference.
  if (ops.PreinstalledEnv) out.push(`--preinstalledEnv=${ops.PreinstalledEnv}`);
  else if (ops.PreinstalledEnvPrefix) out.push(`--preinstalledEnvPrefix=${ops.PreinstalledEnvPrefix}`);
  else if (ops.CVMFS_locations) out.push(`--CVMFS_locations=${ops.CVMFS_locations}`);
  const extensions =
    ops.Extensions && ops.Extensions[0] !== 'None' ? ops.Extensions : (q.csExtensions ?? []).filter((e) => !e.includes('Web'));
  if (extensions.length > 0) out.push(`-e ${extensions.join(',')}`);
  out.push(`-N ${q.ceName}`, `-Q ${q.queueName}`, `-n ${q.site}`, `--wnVO=${q.vo}`);
  const queue = q.queue ?? {};
  for (const option of queue.GenericOptions?.split(',') ?? []) out.push(`-o ${option.trim()}`);
  if (queue.SharedArea) out.push(`-o '/LocalSite/SharedArea=${queue.SharedArea}'`);
  if (queue.UserEnvVariables) out.push(`--userEnvVariables=${queue.UserEnvVariables}`);
  for (const option of queue.ExtraPilotOptions?.split(',') ?? []) out.push(option.trim());
  if (queue.Modules) out.push(`--modules=${queue.Modules}`);
  if (queue.PipInstallOptions) out.push(`--pipInstallOptions=${queue.PipInstallOptions}`);
  return out;
}

/** The pilot's argv as the wrapper passes it: `opt + " --pilotUUID " + UUID`, then shlex.split. */
export function wrapperArgv(options: string[], uuid: string): string[] {
  return shellSplit(`${options.join(' ')} --pilotUUID ${uuid}`);
}

/** POSIX word splitting with single and double quotes and backslashes (what shlex.split does). */
export function shellSplit(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote === "'") {
      if (c === "'") quote = null;
      else word = `${word ?? ''}${c}`;
    } else if (quote === '"') {
      if (c === '"') quote = null;
      else if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word = `${word ?? ''}${line[++i]!}`;
      else word = `${word ?? ''}${c}`;
    } else if (c === "'" || c === '"') {
      quote = c;
      word ??= '';
    } else if (c === '\\' && i + 1 < line.length) {
      word = `${word ?? ''}${line[++i]!}`;
    } else if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
    } else {
      word = (word ?? '') + c;
    }
  }
  if (quote) throw new Error(`unbalanced quote in ${line}`);
  if (word !== null) words.push(word);
  return words;
}
