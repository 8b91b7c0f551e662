import type { PilotCommand } from '../pilot/context.js';
import { checkWorkerNode } from './check-worker-node.js';
import { describeResources } from './describe-resources.js';
import { measureCpuPower } from './measure-cpu-power.js';
import { computeCpuWorkLeft } from './compute-cpu-work-left.js';
import { authenticate } from './authenticate.js';
import { registerPilot } from './register-pilot.js';
import { runJobs } from './run-jobs.js';
import { runEdge } from './run-edge.js';

/** Every pipeline command by name: what -X and pilot.json Commands may list. */
export const COMMANDS: ReadonlyMap<string, PilotCommand> = new Map(
  [checkWorkerNode, describeResources, measureCpuPower, computeCpuWorkLeft, authenticate, registerPilot, runJobs, runEdge].map((c) => [
    c.name,
    c,
  ]),
);
