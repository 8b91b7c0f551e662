import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NativeAddon } from '../../src/native/types.js';
import { ensurePrebuilds, prebuildPath } from './build-prebuilds.js';

const skipReason = process.platform !== 'linux' || process.arch !== 'x64' ? 'the addon tests run on linux-x64' : null;
if (skipReason) console.warn(`tests/native/addon.test.ts skipped: ${skipReason}`);

let addon: NativeAddon;
let toolchainMissing: string | null = null;

function loadDirect(file: string): NativeAddon {
  const module = { exports: {} };
  process.dlopen(module, file);
  return module.exports as NativeAddon;
}

describe.skipIf(skipReason)('native addon on linux-x64', () => {
  beforeAll(async () => {
    toolchainMissing = await ensurePrebuilds(['x64']);
    if (toolchainMissing) console.warn(`native addon tests skipped: ${toolchainMissing}`);
    else addon = loadDirect(prebuildPath('x64'));
  }, 180_000);

  it('cpuid(0) names the same vendor as /proc/cpuinfo', (ctx) => {
    if (toolchainMissing) ctx.skip();
    const [, ebx, ecx, edx] = addon.cpuid!(0, 0);
    const vendor = Buffer.from(new Uint32Array([ebx, edx, ecx]).buffer).toString('latin1');
    const cpuinfoVendor = /^vendor_id\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim();
    expect(cpuinfoVendor).toBeTruthy();
    expect(vendor).toBe(cpuinfoVendor);
  });

  it('cpuid(1) reports the family/model/stepping /proc/cpuinfo shows', (ctx) => {
    if (toolchainMissing) ctx.skip();
    const [eax] = addon.cpuid!(1, 0);
    const baseFamily = (eax >> 8) & 0xf;
    const family = baseFamily === 0xf ? baseFamily + ((eax >> 20) & 0xff) : baseFamily;
    const model = baseFamily === 0x6 || baseFamily === 0xf ? (((eax >> 16) & 0xf) << 4) | ((eax >> 4) & 0xf) : (eax >> 4) & 0xf;
    const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    expect(family).toBe(Number(/^cpu family\s*:\s*(\d+)/m.exec(cpuinfo)?.[1]));
    expect(model).toBe(Number(/^model\s*:\s*(\d+)/m.exec(cpuinfo)?.[1]));
  });

  it('cpuid(0x80000002..4) spells the same brand string as /proc/cpuinfo "model name"', (ctx) => {
    if (toolchainMissing) ctx.skip();
    const [maxExtended] = addon.cpuid!(0x80000000, 0);
    expect(maxExtended).toBeGreaterThanOrEqual(0x80000004);
    const words = [0x80000002, 0x80000003, 0x80000004].flatMap((leaf) => addon.cpuid!(leaf, 0));
    const brand = Buffer.from(new Uint32Array(words).buffer).toString('latin1').replace(/\0+$/, '').trim();
    const modelName = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim();
    expect(brand).toBe(modelName);
  });

  it('cpuid answers zeros above the maximum basic leaf', (ctx) => {
    if (toolchainMissing) ctx.skip();
    const [maxBasic] = addon.cpuid!(0, 0);
    expect(addon.cpuid!(maxBasic + 1, 0)).toEqual([0, 0, 0, 0]);
  });

  it('cpuid rejects arguments that are not 32-bit unsigned integers', (ctx) => {
    if (toolchainMissing) ctx.skip();
    expect(() => addon.cpuid!(-1, 0)).toThrow(/leaf must be an integer/);
    expect(() => addon.cpuid!(1.5, 0)).toThrow(/leaf must be an integer/);
    expect(() => (addon.cpuid as (a: unknown, b: unknown) => unknown)('1', 0)).toThrow(TypeError);
  });

  it('has no hwcap() on x86, where glibc replaces the kernel value with its own bits', (ctx) => {
    if (toolchainMissing) ctx.skip();
    expect(addon.hwcap).toBeUndefined();
  });

  it('childrenRusage() grows after a waited-for child burns CPU', (ctx) => {
    if (toolchainMissing) ctx.skip();
    const before = addon.childrenRusage();
    // Burns 200 ms of its own CPU time (not wall time: the machine may be busy).
    const script = 'const end = Date.now() + 20000; while (process.cpuUsage().user < 200000 && Date.now() < end);';
    const burn = spawnSync(process.execPath, ['-e', script], {
      timeout: 30_000,
    });
    expect(burn.status).toBe(0);
    const after = addon.childrenRusage();
    const cpu = (r: typeof before) => r.userMicros + r.systemMicros;
    expect(cpu(after)).toBeGreaterThanOrEqual(cpu(before) + 200_000);
    expect(after.maxRssKiB).toBeGreaterThan(1024);
  });

  it('reap() refuses pid 0 and non-arrays, and skips pids that are not our children', (ctx) => {
    if (toolchainMissing) ctx.skip();
    expect(() => addon.reap!([0])).toThrow(/must be > 0/);
    expect(() => (addon.reap as (x: unknown) => unknown)(42)).toThrow(/array of pids/);
    expect(addon.reap!([1, process.pid])).toEqual([]);
  });

  it('setDumpable(false): the process keeps its own /proc, another of its uid loses its environ (root-owned now)', (ctx) => {
    if (toolchainMissing) ctx.skip();
    // A child, so the test process stays dumpable; as nobody when we are root, for whom /proc files are root's anyway.
    const child = `const m = { exports: {} }; process.dlopen(m, process.argv[1]);
      const before = require('fs').statSync('/proc/self/environ').uid;
      const now = m.exports.setDumpable(false);
      const status = require('fs').readFileSync('/proc/self/status', 'utf8').length > 0;
      const after = require('fs').statSync('/proc/' + process.pid + '/environ').uid;
      let typeError = '';
      try { m.exports.setDumpable('no'); } catch (e) { typeError = e.message; }
      console.log(JSON.stringify({ before, now, status, after, uid: process.getuid(), typeError }));`;
    const asNobody = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];
    const argv = [...asNobody, process.execPath, '-e', child, prebuildPath('x64')];
    const result = JSON.parse(execFileSync(argv[0]!, argv.slice(1), { timeout: 30_000, encoding: 'utf8' }));
    expect(result.now).toBe(false);
    expect(result.status).toBe(true);
    expect(result.before).toBe(result.uid);
    expect(result.uid).not.toBe(0);
    expect(result.after).toBe(0);
    expect(result.typeError).toMatch(/needs a boolean/);
  });

  const runChild = (mode: string) =>
    JSON.parse(
      execFileSync(process.execPath, [path.join(__dirname, 'fixtures/subreaper-child.mjs'), prebuildPath('x64'), mode], {
        timeout: 30_000,
        encoding: 'utf8',
      }),
    );

  it('as a child subreaper, an orphaned grandchild is re-parented to us and reap() collects it', (ctx) => {
    if (toolchainMissing) ctx.skip();
    const result = runChild('subreaper');
    expect(result.subreaper).toBe(true);
    expect(result.shExitCode).toBe(0);
    expect(result.orphanParent).toBe(result.selfPid);
    expect(result.reapOfLibuvChild).toEqual([]);
    expect(result.reaped).toEqual([{ pid: result.orphanPid, exitCode: null, signal: 15 }]);
    expect(result.goneAfterReap).toBe(true);
  });

  it('without the subreaper flag the orphan goes elsewhere (control)', (ctx) => {
    if (toolchainMissing) ctx.skip();
    const result = runChild('control');
    expect(result.subreaper).toBe(false);
    expect(result.orphanParent).not.toBe(result.selfPid);
  });
});
