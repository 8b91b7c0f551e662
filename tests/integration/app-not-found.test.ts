import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/devserver/index.js';
import { devPilotArgs, runPilot, tempDir } from './pilot-process.js';

let server: DevServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a missing executable', () => {
  for (const processors of ['1', '2']) {
    it(`ends as "Application not found" (-P ${processors})`, async () => {
      server = await startDevServer({ jobs: [{ fields: { JobName: 'missing-exe', Executable: '/nonexistent/app' } }, { fields: { JobName: 'missing-rel', Executable: 'not-here.sh' } }] });
      const dir = tempDir();
      const credentials = path.join(dir, 'credentials.json');
      await server.writePilotCredentials(credentials);
      const run = await runPilot(devPilotArgs(server, credentials, path.join(dir, 'work'), ['-P', processors, '--StopOnApplicationFailure', 'false']));
      const jobs = server.jobs().map((j) => `${j.status}/${j.minorStatus}`);
      expect(jobs, run.stderr).toEqual(['Failed/Application not found', 'Failed/Application not found']);
    });
  }
});
