import { LITE_FIRST_ARGUMENTS } from '../pilot/subcommand-list.js';
import type { LaunchInfo } from '../pilot/launch-info.js';

export type BundleName = LaunchInfo['bundle'];

/** The bundle that serves a command line, from its first argument. */
export function bundleFor(firstArgument: string | undefined): BundleName {
  return LITE_FIRST_ARGUMENTS.includes(firstArgument) ? 'pilot-lite' : 'pilot-main';
}

/** The CommonJS wrapper, the same at build time and at run time (a code cache is tied to the source). */
export function wrapBundle(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
}
