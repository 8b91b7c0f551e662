import { describe, expect, it } from 'vitest';
import { devServerPerTest, runDevPilot } from './pilot-process.js';

const start = devServerPerTest();

describe('a missing executable', () => {
  for (const processors of ['1', '2']) {
    it(`ends as "Application not found" (-P ${processors})`, async () => {
      const pilot = await start({
        jobs: [
          { fields: { JobName: 'missing-exe', Executable: '/nonexistent/app' } },
          { fields: { JobName: 'missing-rel', Executable: 'not-here.sh' } },
        ],
      });
      const { server } = pilot;
      const run = await runDevPilot(pilot, ['-P', processors, '--StopOnApplicationFailure', 'false']);
      const jobs = server.jobs().map((j) => `${j.status}/${j.minorStatus}`);
      expect(jobs, run.stderr).toEqual(['Failed/Application not found', 'Failed/Application not found']);
    });
  }
});
