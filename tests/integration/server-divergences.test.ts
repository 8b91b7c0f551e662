import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/exit-codes.js';
import { devPilotArgs, devServerPerTest, runPilot } from './pilot-process.js';

/**
 * Issue 16 §5: where the pilot diverged from what the real DiracX server expects, each against the
 * dev server behaving like it (no pilot-log route, "Invalid JWT" for an expired token, Site and
 * CurrentJobID accepted as metadata).
 */
const start = devServerPerTest();

/** devPilotArgs without one option and its value. */
function without(args: string[], ...options: string[]): string[] {
  return args.filter((arg, i) => !options.includes(arg) && !options.includes(args[i - 1] ?? ''));
}

describe('smaller divergences from the real server', () => {
  it('pilot log shipping stops after the 404 of a server without the route, with one warning', async () => {
    const { server, credentials, work } = await start({ jobs: [{ fields: { JobName: 'quick', Executable: '/bin/true' } }] });
    const run = await runPilot(devPilotArgs(server, credentials, work, ['-z']));
    expect(run.code, run.stderr).toBe(ExitCode.OK);
    const posts = server.requests.filter((r) => r.path === '/api/pilots/internal/message');
    expect(posts.map((r) => r.status)).toEqual([404]);
    expect(run.stderr.match(/pilot log shipping stopped/g)).toHaveLength(1);
  });

  it("refreshes the job owner's token ahead of expiry: no 401 when the output sandbox goes up after it expired", async () => {
    const { server, credentials, work } = await start({
      accessTokenTtlSeconds: 4,
      // No input sandbox: the owner's token is first used at the upload, after its lifetime.
      jobs: [
        {
          fields: {
            JobName: 'outlives-token',
            Executable: '/bin/sleep',
            Arguments: '5',
            StdOutput: 'std.out',
            StdError: 'std.err',
            OutputSandbox: ['std.out'],
          },
        },
      ],
    });
    const run = await runPilot(devPilotArgs(server, credentials, work));
    expect(run.code, run.stderr).toBe(ExitCode.OK);
    const job = server.jobs()[0]!;
    expect(job.status, job.minorStatus).toBe('Done');
    expect(job.outputSandbox).not.toBeNull();
    // The owner's token is what this test is about: its sandbox calls never meet a 401. (The
    // pilot's own 4 s token may meet one on a loaded machine, and is refreshed and resent.)
    const ownerCalls = server.requests.filter((r) => r.path.includes('/sandbox'));
    expect(ownerCalls.length).toBeGreaterThan(0);
    expect(ownerCalls.filter((r) => r.status === 401).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it("reports the Site in the job metadata, the job as the pilot record's CurrentJobID, and no empty GridCE/CEQueue", async () => {
    const { server, credentials, work } = await start({ jobs: [{ fields: { JobName: 'sited', Executable: '/bin/true' } }] });
    const run = await runPilot(without(devPilotArgs(server, credentials, work), '-N', '-Q'));
    expect(run.code, run.stderr).toBe(ExitCode.OK);
    const job = server.jobs()[0]!;
    expect(job.attributes.Site).toBe('DIRAC.Test.local');
    expect(server.pilots[0]!.metadata.CurrentJobID).toBe(job.id);
    expect(Object.keys(job.parameters)).not.toContain('GridCE');
    expect(Object.keys(job.parameters)).not.toContain('CEQueue');
    expect(server.violations).toEqual([]);
  });

  it('states the time the pilot really has in the node document when only -T is given', async () => {
    const { server, credentials, work } = await start({});
    const run = await runPilot([...without(devPilotArgs(server, credentials, work), '-T'), '-T', '1000', '--dry-run']);
    expect(run.code, run.stderr).toBe(ExitCode.OK);
    const wall = (JSON.parse(run.stdout) as { request: { node: { 'wall-time': number } } }).request.node['wall-time'];
    expect(wall).toBeGreaterThan(900);
    expect(wall).toBeLessThanOrEqual(1000);
  });
});
