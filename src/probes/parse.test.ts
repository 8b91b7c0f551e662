import { describe, expect, it } from 'vitest';
import { parseCpuList, parseEnvFile, parseInteger, parseNumber } from './parse.js';

describe('parseCpuList', () => {
  it('reads ranges and singles as the kernel prints them', () => {
    expect(parseCpuList('0-3,8,10-11\n')).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList('0')).toEqual([0]);
    expect(parseCpuList('')).toEqual([]);
  });
  it('refuses garbage, reversed and absurd ranges', () => {
    expect(parseCpuList('0-banana')).toBeNull();
    expect(parseCpuList('3-1')).toBeNull();
    expect(parseCpuList('0-99999999')).toBeNull();
  });
});

describe('parseEnvFile', () => {
  it('unquotes values and skips junk', () => {
    expect(parseEnvFile('ID="almalinux"\nVERSION_ID=9.4\n# comment\njunk line\nNAME=\'x y\'\n')).toEqual({
      ID: 'almalinux',
      VERSION_ID: '9.4',
      NAME: 'x y',
    });
  });
});

describe('numbers', () => {
  it('accepts only plain numbers', () => {
    expect(parseInteger(' 42 ')).toBe(42);
    expect(parseInteger('-1')).toBeNull();
    expect(parseInteger('-1', true)).toBe(-1);
    expect(parseInteger('4k')).toBeNull();
    expect(parseNumber('160.5')).toBe(160.5);
    expect(parseNumber('n/a')).toBeNull();
  });
});
