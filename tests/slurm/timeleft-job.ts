// Runs inside a Slurm job (bundled by timeleft.test.ts and submitted with sbatch): waits a
// moment so the job has used some time, then prints the time-left report and the CPU work
// left at power 10 as one JSON line.
import { cpuWorkLeft } from '../../src/benchmark/cpu-work-left.js';
import { readTimeLeft } from '../../src/probes/batch/timeleft/index.js';
import { silentLogger } from '../../src/core/logger.js';

await new Promise((resolve) => setTimeout(resolve, 2000));
const env = process.env;
const processors = Number(env.SLURM_CPUS_ON_NODE ?? '1');
const timeLeft = await readTimeLeft({
  env,
  batch: { system: 'slurm', jobId: env.SLURM_JOB_ID ?? null, allocatedCpus: processors },
  config: {},
  logger: silentLogger(),
});
const work = cpuWorkLeft({ timeLeft, power: 10, cpuConsumed: 0, processors });
process.stdout.write(`${JSON.stringify({ timeLeft, work })}\n`);
