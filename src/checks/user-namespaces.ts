import { execa } from 'execa';
import { ExitCode } from '../core/exit-codes.js';
import { result, type CheckResult } from './types.js';

export interface UserNamespaceCheckOptions {
  /** What the sysctls say (ProbeResult.container.userNamespaces). */
  allowedBySysctl: boolean;
  /** `unshare` to actually create one (AppArmor and seccomp can still refuse); null to skip the trial. */
  unshare?: string | null;
  timeoutMs?: number;
}

/**
 * Unprivileged Apptainer needs user namespaces; a setuid install does not, so their absence
 * is a warning, not a failure.
 */
export async function checkUserNamespaces(options: UserNamespaceCheckOptions): Promise<CheckResult> {
  if (!options.allowedBySysctl) {
    return result(
      'user-namespaces',
      'warn',
      'unprivileged user namespaces are disabled (max_user_namespaces or unprivileged_userns_clone); only a setuid Apptainer can work',
      ExitCode.CONTAINER,
    );
  }
  if (!options.unshare) return result('user-namespaces', 'pass', 'allowed by the kernel settings', ExitCode.CONTAINER);
  try {
    const run = await execa(options.unshare, ['--user', '--map-root-user', 'true'], {
      timeout: options.timeoutMs ?? 5000,
      reject: false,
      stdin: 'ignore',
    });
    if (run.exitCode === undefined && run.signal === undefined) {
      return result(
        'user-namespaces',
        'warn',
        `${options.unshare} could not be run; only the kernel settings were checked`,
        ExitCode.CONTAINER,
      );
    }
    if (run.exitCode === 0)
      return result('user-namespaces', 'pass', 'allowed by the kernel settings and one was created', ExitCode.CONTAINER);
    const why = String(run.stderr).split('\n')[0]?.slice(0, 120) ?? '';
    return result(
      'user-namespaces',
      'warn',
      `allowed by the kernel settings but creating one failed (${why || `exit ${run.exitCode}`}); AppArmor or seccomp may block it`,
      ExitCode.CONTAINER,
    );
  } catch (error) {
    return result('user-namespaces', 'warn', `could not try one: ${(error as Error).message.split('\n')[0]}`, ExitCode.CONTAINER);
  }
}
