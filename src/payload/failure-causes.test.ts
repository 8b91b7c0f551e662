import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { countsTowardBlackHole, FAILURE_CAUSES, JobFailure, KILL_CAUSES, type FailureCauseId } from './failure-causes.js';
import { KILL_REASONS } from './watchdog/kill-reasons.js';

/** The rows of the first table in docs/failure-causes.md, keyed by header. */
function documentedCauses(): Record<string, string>[] {
  const doc = readFileSync(new URL('../../docs/failure-causes.md', import.meta.url), 'utf8');
  const lines = doc.split('\n').filter((l) => l.startsWith('| '));
  const cells = (line: string) =>
    line
      .slice(2, -2)
      .split(' | ')
      .map((c) => c.trim());
  const header = cells(lines[0]!);
  return lines.slice(2).map((line) => Object.fromEntries(cells(line).map((c, i) => [header[i]!, c])));
}

describe('docs/failure-causes.md', () => {
  const rows = documentedCauses();

  it('lists exactly the causes of the code: kind, minor status, application status, code, reschedule or fail', () => {
    const documented = Object.fromEntries(
      rows.map((r) => [
        r.Cause,
        { kind: r.Kind, minorStatus: r['Minor status'], applicationStatus: r['Application status'], code: Number(r.Code), then: r.Then },
      ]),
    );
    expect(documented).toEqual(FAILURE_CAUSES);
  });

  it('gives every cause its own code, minor status and application status', () => {
    const causes = Object.values(FAILURE_CAUSES);
    for (const key of ['code', 'minorStatus', 'applicationStatus'] as const)
      expect(new Set(causes.map((c) => c[key])).size, key).toBe(causes.length);
  });

  it('names a cause for every way the watchdog or the pilot ends a payload', () => {
    expect(Object.keys(KILL_CAUSES).sort()).toEqual([...KILL_REASONS].sort());
    for (const cause of Object.values(KILL_CAUSES)) expect(FAILURE_CAUSES).toHaveProperty(cause);
  });

  it('says for each cause whether it counts toward black-hole protection, as the job agent decides', () => {
    for (const row of rows)
      expect(row['Black hole'], row.Cause).toBe(countsTowardBlackHole(FAILURE_CAUSES[row.Cause as FailureCauseId].kind) ? 'yes' : 'no');
  });

  it('only node causes count; every job cause is the job’s', () => {
    for (const [id, cause] of Object.entries(FAILURE_CAUSES)) expect(countsTowardBlackHole(cause.kind), id).toBe(cause.kind === 'node');
    expect(countsTowardBlackHole(null)).toBe(false);
  });

  it('a JobFailure carries its cause’s kind and minor status, with the detail after it', () => {
    const failure = new JobFailure('path-refused', 'x', 'StdOutput "../a" leaves the job directory ("..")');
    expect(failure).toMatchObject({ kind: 'job', minorStatus: 'Job Path Refused: StdOutput "../a" leaves the job directory ("..")' });
    expect(new JobFailure('input-download', 'y')).toMatchObject({ kind: 'node', minorStatus: 'Input Sandbox Download Failed' });
  });
});
