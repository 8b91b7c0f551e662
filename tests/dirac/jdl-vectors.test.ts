/**
 * Golden tests: every JDL vector (tests/fixtures/dirac-legacy-vectors/jdl-*.json, produced by
 * running DIRAC's ClassAdLight and loadJDLAsCFG) is checked against our parser. Where DIRAC is
 * sound we must agree with it; where it hangs, crashes or loses data, the case is listed below with
 * the reason, and we either throw a JdlError or give the pinned (correct) reading.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  JdlError,
  formatJdl,
  jdlAd,
  jdlBool,
  jdlHas,
  jdlInt,
  jdlKeys,
  jdlList,
  jdlLookup,
  jdlNumber,
  jdlString,
  jdlToPlain,
  parseJdl,
  type JdlDocument,
  type JdlPlain,
} from '../../src/jdl/jdl.js';

const dir = new URL('../fixtures/dirac-legacy-vectors/', import.meta.url);
type Tagged = null | boolean | number | string | { $float?: string; $bigint?: string };
interface ClassAdAttribute {
  name: string;
  get_expression: string;
  getAttributeString: string;
  getListFromExpression: string[];
  getAttributeInt: Tagged;
  getAttributeFloat: Tagged;
  getAttributeBool: boolean;
  isAttributeList: boolean;
  getDictionaryFromSubJDL?: Record<string, string>;
}
interface ClassAdCase {
  id: string;
  input: string;
  output: { constructor?: unknown; isOK?: number; attributes?: string[]; perAttribute?: ClassAdAttribute[]; asJDL?: string };
}
interface CfgResult {
  OK?: boolean;
  getAsDict?: CfgDict;
  onStrippedInput?: CfgResult;
}
type CfgDict = { [key: string]: string | CfgDict };
interface CfgCase {
  id: string;
  output: CfgResult;
}

const classAdCases = JSON.parse(readFileSync(new URL('jdl-classadlight.json', dir), 'utf8')) as ClassAdCase[];
const byId = new Map<string, ClassAdCase>();
const cfgCases = JSON.parse(readFileSync(new URL('jdl-loadjdlascfg.json', dir), 'utf8')) as CfgCase[];

/** Inputs that are malformed: DIRAC hangs, crashes, or returns a silently truncated result. */
const EXPECT_ERROR: Record<string, RegExp> = {
  'edge-empty-string': /empty description/, // both DIRAC parsers raise IndexError
  'edge-whitespace-only': /empty description/,
  'edge-missing-closing-bracket': /'\[' opened at line 1 column 1 is never closed/,
  'edge-missing-opening-bracket': /a '\]' without its '\['/,
  'edge-empty-value-space': /attribute A has no value at line 1 column 7/,
  'edge-empty-value-nospace': /attribute A has no value at line 1 column 6/, // ClassAdLight empties the whole ad
  'edge-no-equals': /expected '=' after garbage at line 1 column 17/, // ClassAdLight invents "garbage; B"
  'edge-unclosed-list': /list value of L opened at line 1 column 7 is never closed/,
  'edge-unclosed-quote': /string value of A is never closed \(opened\) at line 1 column 7/, // loadJDLAsCFG returns an empty CFG
  'edge-value-only-quotes': /expected ';' after the value of A/,
  'edge-list-trailing-comma': /empty item in the list value of M/, // `{,}`
  'edge-sub-classad-key-empty': /expected an attribute name, found "="/,
  'edge-nested-duplicate-section': /sub-ClassAd R defined twice/, // loadJDLAsCFG raises KeyError
  'edge-attr-with-slash': /invalid attribute name "A\/B"/, // loadJDLAsCFG drops the key silently
};

/** Where one DIRAC parser is wrong and ours deliberately differs from it; the other oracle or a pin checks us. */
const CLASSAD_WRONG: Record<string, string> = {
  'edge-semicolon-in-string': 'ClassAdLight splits on ; inside quotes',
  'edge-comments': 'ClassAdLight takes comment text into attribute names; we skip comments',
  'edge-double-semicolon': 'ClassAdLight names the second attribute "; B"',
  'edge-newline-in-string': 'ClassAdLight deletes newlines inside strings',
  'edge-list-of-lists': 'getListFromExpression mangles {{{1}}}',
};
const CFG_WRONG: Record<string, string> = {
  'edge-list-of-lists': 'CFG flattens lists of lists',
  'dirac-source:src/DIRAC/Interfaces/API/test/testWF.jdl': 'CFG flattens lists of lists',
  'dirac-source-wrapped:src/DIRAC/Interfaces/API/test/testWF.jdl': 'CFG flattens lists of lists',
  'edge-comments': 'CFG keeps comment text in names and drops attributes after //',
  'edge-lists': 'loadJDLAsCFG rejects a quoted comma in a list item',
  'generated-2': 'CFG flattens lists of lists',
  'generated-7': 'CFG flattens lists of lists',
};
/** asJDL re-splits lists on commas and deletes newlines in strings; our writer keeps items whole. */
const ASJDL_WRONG: Record<string, string> = {
  'edge-lists': 'asJDL splits "a,b" into two lines',
  'edge-list-of-lists': 'asJDL splits inner lists',
  'edge-newline-in-string': 'asJDL deletes the newline',
  'edge-semicolon-in-string': 'asJDL of a broken parse',
  'edge-comments': 'asJDL of comment-named attributes',
  'edge-double-semicolon': 'asJDL of "; B"',
  'dirac-source-wrapped:src/DIRAC/Interfaces/API/test/testWF.jdl': 'asJDL splits inner lists',
};
/** Cases no DIRAC oracle can check (both fail or hang): our reading, pinned. */
const PINNED: Record<string, Record<string, JdlPlain>> = {
  'edge-expression-with-brackets': { Requirements: 'other.Tags[0] == GPU', Executable: 'echo' },
  'edge-list-with-nested-classad': { L: [{ A: '1' }, { B: '2' }] },
  'edge-comments': { Executable: 'echo', JobName: 'x', Priority: '1' },
  'edge-list-of-lists': {
    'Parameters.InputData': [['/a/1', '/a/2'], ['/b/1']],
    Mixed: [['1', '2'], 'x', '3'],
    Deep: [[['1']]],
  },
  'generated-2': {
    'Parameters.InputData': [
      ['/lhcb/data/data1', '/lhcb/data/data2'],
      ['/lhcb/data/data3', '/lhcb/data/data4'],
      ['/lhcb/data/data5', '/lhcb/data/data6'],
    ],
    'Parameters.JOB_ID': ['1', '2', '3'],
  },
  'generated-7': { ListOfLists: [['/a/1', '/a/2'], ['/b/1']], Sub: { A: '1', B: 'x' } },
};

function fromTagged(value: Tagged): number | undefined | 'bigint' {
  if (value === null) return undefined;
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && value.$float !== undefined) {
    return value.$float === 'nan'
      ? Number.NaN
      : value.$float === 'inf'
        ? Infinity
        : value.$float === '-inf'
          ? -Infinity
          : Number(value.$float);
  }
  if (typeof value === 'object' && value.$bigint !== undefined) return 'bigint';
  throw new Error(`unexpected tagged value ${JSON.stringify(value)}`);
}

/** Our document in loadJDLAsCFG's getAsDict form: lists as "a, b", sub-ads as dicts. */
function asCfgDict(doc: JdlDocument): CfgDict {
  const out: CfgDict = {};
  for (const name of jdlKeys(doc)) {
    const ad = jdlAd(doc, name);
    out[name] = ad ? asCfgDict(ad) : jdlString(doc, name)!;
  }
  return out;
}

function checkAgainstClassAd(doc: JdlDocument, attributes: ClassAdAttribute[]): void {
  expect(jdlKeys(doc)).toEqual(attributes.map((a) => a.name));
  for (const a of attributes) {
    const value = jdlLookup(doc, a.name)!;
    const where = `attribute ${a.name}`;
    expect(value.raw.replaceAll('\n', ''), where).toBe(a.get_expression);
    expect(value.kind === 'list', where).toBe(a.isAttributeList);
    if (value.kind === 'string' || value.kind === 'bare') {
      expect(jdlString(doc, a.name), where).toBe(a.getAttributeString);
    }
    if (value.kind !== 'ad') {
      // DIRAC deletes every space in list items; compare with ours the same way.
      expect(
        jdlList(doc, a.name).map((item) => item.replace(/\s/g, '')),
        where,
      ).toEqual(a.getListFromExpression);
    }
    const int = fromTagged(a.getAttributeInt);
    expect(jdlInt(doc, a.name), where).toBe(int === 'bigint' ? undefined : int);
    const float = fromTagged(a.getAttributeFloat);
    expect(jdlNumber(doc, a.name), where).toBe(float);
    expect(jdlBool(doc, a.name), where).toBe(a.getAttributeBool);
    if (a.getDictionaryFromSubJDL && Object.keys(a.getDictionaryFromSubJDL).length > 0) {
      expect(jdlToPlain(jdlAd(doc, a.name)!), where).toEqual(a.getDictionaryFromSubJDL);
    }
  }
  expect(jdlHas(doc, 'NoSuchAttribute')).toBe(false);
  expect(jdlString(doc, 'NoSuchAttribute')).toBeUndefined();
  expect(jdlList(doc, 'NoSuchAttribute')).toEqual([]);
  expect(jdlInt(doc, 'NoSuchAttribute')).toBeUndefined();
  expect(jdlBool(doc, 'NoSuchAttribute') ?? false).toBe(false);
}

for (const c of classAdCases) byId.set(c.id, c);

describe('JDL golden vectors (DIRAC ClassAdLight + loadJDLAsCFG)', () => {
  expect(classAdCases.map((c) => c.id)).toEqual(cfgCases.map((c) => c.id));

  for (const [index, classAd] of classAdCases.entries()) {
    const cfg = cfgCases[index]!;
    it(classAd.id, () => {
      const expectedError = EXPECT_ERROR[classAd.id];
      if (expectedError) {
        expect(() => parseJdl(classAd.input)).toThrow(JdlError);
        expect(() => parseJdl(classAd.input)).toThrow(expectedError);
        return;
      }
      const doc = parseJdl(classAd.input);
      let checks = 0;

      // hasOwn: `constructor` is also every object's inherited property.
      const classAdOk = classAd.output.isOK === 1 && !Object.hasOwn(classAd.output, 'constructor');
      if (classAdOk && !CLASSAD_WRONG[classAd.id]) {
        checkAgainstClassAd(doc, classAd.output.perAttribute ?? []);
        checks++;
        if (!ASJDL_WRONG[classAd.id]) {
          expect(formatJdl(doc)).toBe(classAd.output.asJDL);
          checks++;
        }
      }

      // JobManifest strips the text before loadJDLAsCFG, so the stripped result is the production one.
      const cfgResult = cfg.output.onStrippedInput ?? cfg.output;
      if (cfgResult.OK === true && !CFG_WRONG[classAd.id]) {
        expect(asCfgDict(doc)).toEqual(cfgResult.getAsDict);
        checks++;
      }

      const pinned = PINNED[classAd.id];
      if (pinned) {
        expect(jdlToPlain(doc)).toMatchObject(pinned);
        checks++;
      }

      // A bracket-less source text must read exactly like its '[' + text + ']' copy.
      const wrapped = byId.get(classAd.id.replace(/^dirac-source:/, 'dirac-source-wrapped:'));
      if (classAd.id.startsWith('dirac-source:') && wrapped) {
        expect(jdlToPlain(doc)).toEqual(jdlToPlain(parseJdl(wrapped.input)));
        checks++;
      }
      // Every vector must be checked by something: no case passes vacuously.
      expect(checks, 'no oracle checked this case').toBeGreaterThan(0);
    });
  }
});
