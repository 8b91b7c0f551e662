import type { CheckReport } from './types.js';

const MARK: Record<string, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** The `pilot check` table for people; `--json` prints the CheckReport itself. */
export function formatCheckReport(report: CheckReport): string {
  const nameWidth = Math.max(5, ...report.checks.map((check) => check.name.length));
  const lines = [`${'check'.padEnd(nameWidth)}  status  detail`];
  for (const check of report.checks) {
    const code = check.status === 'fail' ? ` [exit ${check.exitCode}]` : '';
    lines.push(`${check.name.padEnd(nameWidth)}  ${(MARK[check.status] ?? check.status).padEnd(6)}  ${check.detail}${code}`);
  }
  lines.push('', `verdict: ${report.verdict.toUpperCase()} (exit code ${report.exitCode})`);
  return `${lines.join('\n')}\n`;
}
