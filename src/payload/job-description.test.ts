import { describe, expect, it } from 'vitest';
import { describeJob, describeJobFile, splitArguments, JobDescriptionError } from './job-description.js';
import { PilotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';

const identity = { jobId: 42, owner: 'alice', ownerGroup: 'dteam_user', vo: 'dteam' };

describe('describeJob', () => {
  it('reads a DIRAC JDL', () => {
    const jdl = `[
      Executable = "run.sh";
      Arguments = "--events 10 'two words'";
      JobName = "demo";
      InputSandbox = {"SB:SandboxSE|/S3/bucket/dteam/dteam_user/alice/sha256:ab.tar.zst", "LFN:/dteam/x"};
      OutputSandbox = {"std.out", "*.log"};
      StdOutput = "std.out"; StdError = "std.err";
      CPUTime = 86400; NumberOfProcessors = 4; Tags = {"GPU", "MultiProcessor"};
      Environment = {"FOO=bar", "EMPTY="};
      Platform = "x86_64-el9";
    ]`;
    const job = describeJob(jdl, identity);
    expect(job).toMatchObject({
      jobId: 42,
      executable: 'run.sh',
      arguments: ['--events', '10', 'two words'],
      outputSandbox: ['std.out', '*.log'],
      cpuTime: 86400,
      processors: { min: 4, max: 4 },
      numberOfGPUs: 1,
      environment: { FOO: 'bar', EMPTY: '' },
      platform: 'x86_64-el9',
      owner: 'alice',
      tags: ['GPU', 'MultiProcessor'],
    });
    expect(job.inputSandbox).toHaveLength(2);
  });

  it('reads the same keys from JSON, case-insensitively', () => {
    const job = describeJob(
      JSON.stringify({ executable: '/bin/echo', Arguments: 'hi', MinNumberOfProcessors: 2, MaxNumberOfProcessors: 8, MaxRAM: 2048 }),
      identity,
    );
    expect(job).toMatchObject({
      executable: '/bin/echo',
      arguments: ['hi'],
      processors: { min: 2, max: 8 },
      maxRAMMB: 2048,
      stdOutput: 'std.out',
    });
  });

  it('treats a MultiProcessor job without a maximum as taking what is free', () => {
    const job = describeJob('[Executable="x"; Tags={"MultiProcessor"}; MinNumberOfProcessors=2;]', identity);
    expect(job.processors.min).toBe(2);
    expect(job.processors.max).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([
    ['[Arguments = "x";]', /Executable is missing/],
    ['[Executable = "x"; NumberOfProcessors = 0;]', /NumberOfProcessors: expected a positive integer/],
    ['[Executable = "x"; NumberOfProcessors = "many";]', /NumberOfProcessors/],
    ['[Executable = "x"; MinNumberOfProcessors = 4; MaxNumberOfProcessors = 2;]', /below MinNumberOfProcessors/],
    ['[Executable = "x"; Environment = {"NOEQUALS"};]', /Environment: expected NAME=value/],
    ['[Executable = "x"; Arguments = "\'open";]', /unterminated/],
    ['[Executable = "x"', /JDL/],
    ['{"Executable": ', /neither JDL nor JSON/],
    ['[1,2]', /JDL|JSON/],
  ])('refuses %s', (text, pattern) => {
    expect(() => describeJob(text, identity)).toThrow(JobDescriptionError);
    expect(() => describeJob(text, identity)).toThrow(pattern);
  });

  it('turns a bad job file into a one-line CONFIG error for pilot exec', () => {
    try {
      describeJobFile('[Arguments="x";]', 'job.jdl');
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(PilotError);
      expect((error as PilotError).exitCode).toBe(ExitCode.CONFIG);
      expect((error as PilotError).message).toBe('job file job.jdl: Executable is missing');
    }
  });
});

describe('splitArguments', () => {
  it('splits on blanks, keeps quoted words, never runs a shell', () => {
    expect(splitArguments(`a "b c" 'd e' f$(rm -rf /)`)).toEqual(['a', 'b c', 'd e', 'f$(rm', '-rf', '/)']);
    expect(splitArguments('  ')).toEqual([]);
    expect(splitArguments('""')).toEqual(['']);
  });
});

describe('memory request and limit', () => {
  const identity = { jobId: 1, owner: 'u', ownerGroup: 'g', vo: 'v' };
  it('reads MinRAM as the request, MaxRAM as the limit, MemoryNoSwap, in MB', () => {
    const job = describeJob('[ Executable = "x"; MinRAM = 1024; MaxRAM = 2048.5; MemoryNoSwap = True; ]', identity);
    expect(job).toMatchObject({ minRAMMB: 1024, maxRAMMB: 2049, memoryNoSwap: true });
    expect(describeJob('[ Executable = "x"; MaxRAM = 0; ]', identity)).toMatchObject({
      minRAMMB: null,
      maxRAMMB: null,
      memoryNoSwap: false,
    });
  });

  it('refuses a limit below the request, and a negative figure, naming them', () => {
    expect(() => describeJob('[ Executable = "x"; MinRAM = 4000; MaxRAM = 2000; ]', identity)).toThrow(
      'MaxRAM 2000 MB is below MinRAM 4000 MB',
    );
    expect(() => describeJob('[ Executable = "x"; MinRAM = -5; ]', identity)).toThrow('MinRAM: expected a number of MB, got -5');
  });
});

describe('names the job chooses are own keys, never inherited ones (issue 15)', () => {
  it('Environment names such as __proto__ and constructor are plain entries; the description is sound', () => {
    const d = describeJob('[Executable = "/bin/true"; Environment = {"constructor=1", "__proto__=2", "toString=3"};]', {
      jobId: 1,
      owner: 'o',
      ownerGroup: 'g',
      vo: 'v',
    });
    expect(Object.hasOwn(d.environment, 'constructor')).toBe(true);
    expect(d.environment.constructor).toBe('1');
    expect(Object.hasOwn(d.environment, '__proto__')).toBe(true);
    expect(Object.keys(d.environment)).toEqual(['constructor', '__proto__', 'toString']);
  });

  it('an attribute named __proto__ stays a key of the raw description, in JDL and in JSON', () => {
    const jdl = describeJob('[Executable = "/bin/true"; __proto__ = {"a", "b"};]', { jobId: 1, owner: 'o', ownerGroup: 'g', vo: 'v' });
    expect(Object.getPrototypeOf(jdl.raw)).toBeNull();
    expect(Object.hasOwn(jdl.raw, '__proto__')).toBe(true);
    const json = describeJob('{"Executable": "/bin/true", "__proto__": {"StdOutput": "../../x"}}', {
      jobId: 1,
      owner: 'o',
      ownerGroup: 'g',
      vo: 'v',
    });
    expect(json.stdOutput).toBe('std.out');
  });
});
