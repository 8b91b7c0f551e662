import { describe, expect, it } from 'vitest';
import { parsePartitionMaxTime, parseSbatchId, parseSqueueStates, sbatchArgs } from './slurm.js';
import { allocationScript, shellQuote } from './edge-agent.js';

describe('Slurm output parsers', () => {
  it('reads sbatch --parsable ids and refuses anything else', () => {
    expect(parseSbatchId('1234\n')).toBe('1234');
    expect(parseSbatchId('1234;cluster\n')).toBe('1234');
    expect(() => parseSbatchId('sbatch: error: Batch job submission failed: Invalid account\n')).toThrow(/no job id/);
    expect(() => parseSbatchId('')).toThrow(/no job id/);
  });

  it('maps squeue states; absent ids are gone', () => {
    const states = parseSqueueStates('12 R\n13 PD\n14 CG\n', ['12', '13', '14', '15']);
    expect(Object.fromEntries(states)).toEqual({ 12: 'running', 13: 'pending', 14: 'running', 15: 'gone' });
    expect(Object.fromEntries(parseSqueueStates('garbage without fields\n\n', ['1']))).toEqual({ 1: 'gone' });
  });

  it('reads partition MaxTime in minutes', () => {
    expect(parsePartitionMaxTime('PartitionName=ci MaxTime=UNLIMITED MinNodes=0')).toBeNull();
    expect(parsePartitionMaxTime('PartitionName=p MaxTime=1-02:30:00 X=1')).toBe(1590);
    expect(parsePartitionMaxTime('MaxTime=45:00')).toBe(45);
    expect(parsePartitionMaxTime('MaxTime=00:00:30')).toBe(1);
    expect(parsePartitionMaxTime('no such field')).toBeNull();
  });

  it('asks sbatch for exactly the shape of the allocation', () => {
    expect(
      sbatchArgs({
        name: 'n',
        script: '/s.sh',
        workDir: '/w',
        outputFile: '/w/o',
        cpus: 4,
        memoryMB: 8000,
        gpus: 2,
        timeLimitMinutes: 90,
        partition: 'gpu',
      }),
    ).toEqual([
      '--parsable',
      '--job-name=n',
      '--chdir=/w',
      '--output=/w/o',
      '--nodes=1',
      '--ntasks=1',
      '--cpus-per-task=4',
      '--mem=8000M',
      '--time=90',
      '--signal=B:TERM@120',
      '--gres=gpu:2',
      '--partition=gpu',
      '/s.sh',
    ]);
  });
});

describe('allocation script', () => {
  it('quotes every word, so paths with spaces or quotes stay one argument', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    const script = allocationScript(['/opt/pilot', 'exec'], ['/shared/jobs/1', "/odd dir/it's"], 2);
    expect(script).toContain(`exec '/opt/pilot' 'exec' '-P' '2' '--staged' '/shared/jobs/1' '--staged' '/odd dir/it'\\''s'`);
  });
});
