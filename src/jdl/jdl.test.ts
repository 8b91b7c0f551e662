import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JdlError, jdlAd, jdlBool, jdlInt, jdlList, jdlLookup, jdlNumber, jdlString, jdlToPlain, parseJdl, renderJdl } from './jdl.js';

describe('parseJdl', () => {
  it('reads the dirac-cwl style: no brackets, bare values, comma-separated sites', () => {
    const doc = parseJdl(
      'Executable = dirac-cwl-exec;\nArguments = job.json;\nOutputSandbox = {std.out, std.err};\n' +
        'Site = CTAO.DESY-ZN.de, CTAO.PIC.es;\nInputSandbox = SB:SandboxSE|/S3/diracx-sandbox-store/sha256:0001.tar.zst;\n',
    );
    expect(jdlString(doc, 'Executable')).toBe('dirac-cwl-exec');
    expect(jdlList(doc, 'Site')).toEqual(['CTAO.DESY-ZN.de', 'CTAO.PIC.es']);
    expect(jdlList(doc, 'InputSandbox')).toEqual(['SB:SandboxSE|/S3/diracx-sandbox-store/sha256:0001.tar.zst']);
    expect(jdlList(doc, 'OutputSandbox')).toEqual(['std.out', 'std.err']);
  });

  it('keeps what DIRAC mangles: ; [ ] inside strings, spaces in list items, newlines', () => {
    const doc = parseJdl('[ Arguments = "a;b [x]"; L = { "a b", "c,d" }; M = "l1\nl2" ]');
    expect(jdlString(doc, 'Arguments')).toBe('a;b [x]');
    expect(jdlList(doc, 'L')).toEqual(['a b', 'c,d']);
    expect(jdlString(doc, 'M')).toBe('l1\nl2');
  });

  it('reads the Matcher JDL sub-ClassAd', () => {
    const doc = parseJdl('[ JobID = 7; JobRequirements = [ CPUTime = 86400; Platforms = {"a","b"}; ]; ]');
    const req = jdlAd(doc, 'JobRequirements');
    expect(req && jdlInt(req, 'CPUTime')).toBe(86400);
    expect(req && jdlList(req, 'Platforms')).toEqual(['a', 'b']);
    expect(jdlString(doc, 'JobRequirements')).toBeUndefined();
  });

  it('looks names up exactly first, then case-insensitively when unambiguous', () => {
    const doc = parseJdl('[ cputime = 5; executable = "x"; Executable = "y" ]');
    expect(jdlInt(doc, 'CPUTime')).toBe(5);
    expect(jdlString(doc, 'executable')).toBe('x');
    expect(jdlString(doc, 'Executable')).toBe('y');
    expect(jdlLookup(doc, 'EXECUTABLE')).toBeUndefined();
  });

  it('converts numbers and booleans the way DIRAC does', () => {
    const doc = parseJdl('[ A = "+7"; B = 1_000; C = 1e5; D = 0x1F; E = "TRUE"; F = yes; G = 9007199254740993 ]');
    expect(jdlInt(doc, 'A')).toBe(7);
    expect(jdlInt(doc, 'B')).toBe(1000);
    expect(jdlInt(doc, 'C')).toBeUndefined();
    expect(jdlNumber(doc, 'C')).toBe(100000);
    expect(jdlNumber(doc, 'D')).toBeUndefined();
    expect(jdlBool(doc, 'E')).toBe(true);
    expect(jdlBool(doc, 'F')).toBe(false);
    expect(jdlInt(doc, 'G')).toBeUndefined();
  });

  it('names the line and column of errors', () => {
    expect(() => parseJdl('[\n  A = 1;\n  B = {"x",\n]')).toThrow(/list value of B opened at line 3 column 7 is never closed/);
    expect(() => parseJdl('[ A = 1 ] junk')).toThrow(/unexpected "j" after the closing '\]' at line 1 column 11/);
    expect(() => parseJdl('[ A = (1; ]')).toThrow(JdlError);
  });

  it('bounds nesting instead of overflowing the stack', () => {
    const deep = '['.repeat(1) + 'A = '.concat('[ A = '.repeat(40), '1', ' ]'.repeat(40), ' ]');
    expect(() => parseJdl(deep)).toThrow(/nested deeper than 32 levels/);
    expect(() => parseJdl(`[ L = ${'{'.repeat(5000)} ]`)).toThrow(JdlError);
  });

  it('never throws anything but JdlError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', ';', '=', ',', 'a', ' ', '\n', '#', '/') }), (text) => {
        try {
          parseJdl(text);
        } catch (error) {
          expect(error).toBeInstanceOf(JdlError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('renderJdl', () => {
  it('writes what DIRAC asJDL writes for the same fields', () => {
    const text = renderJdl({ Owner: 'owner', JobID: 1234, Site: ['LCG.CERN.cern', 'LCG.IN2P3.fr'], JobRequirements: { CPUTime: 86400 } });
    expect(text).toBe(
      '[ \n    JobID = 1234;\n    JobRequirements = \n        [ \n            CPUTime = 86400;\n        ];\n' +
        '    Owner = "owner";\n    Site = \n        {\n            "LCG.CERN.cern",\n            "LCG.IN2P3.fr"\n        };\n]',
    );
  });

  it('refuses a string with a double quote, which JDL cannot escape', () => {
    expect(() => renderJdl({ Arguments: 'say "hi"' })).toThrow(/Arguments contains '"'/);
  });

  it('round-trips through parseJdl', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.]{0,8}$/);
    const text = fc.string({ unit: fc.constantFrom('a', ' ', ';', '[', ']', '{', '}', ',', '=', '\n', 'é', '|', ':') });
    const fields = fc.dictionary(name, fc.oneof(text, fc.array(text, { maxLength: 4 }), fc.dictionary(name, text, { maxKeys: 3 })), {
      maxKeys: 6,
    });
    fc.assert(
      fc.property(fields, (input) => {
        expect(jdlToPlain(parseJdl(renderJdl(input)))).toEqual(input);
      }),
      { numRuns: 300 },
    );
  });
});
