/**
 * DIRAC's CFG format (diraccfg), the text the Configuration Service hands out:
 *
 *     Systems
 *     {
 *       WorkloadManagement
 *       {
 *         URLs
 *         {
 *           Matcher = dips://wms.example.org:9170/WorkloadManagement/Matcher
 *           Matcher += dips://wms2.example.org:9170/WorkloadManagement/Matcher
 *         }
 *       }
 *     }
 *
 * One statement per line: `# comment`, `Name = value` (split at the first `=`), `Name += value`
 * (appends `, value`), `Name {` or `Name` then `{`, and `}`. Values are strings; list values are
 * comma-separated, as DIRAC's gConfig.getValue(..., []) reads them.
 */

export class CfgError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CfgError';
  }
}

export interface CfgSection {
  readonly options: Map<string, string>;
  readonly sections: Map<string, CfgSection>;
}

const newSection = (): CfgSection => ({ options: new Map(), sections: new Map() });
const NAME = /^[^\s{}=#/][^{}=]*$/;

export function parseCfg(text: string): CfgSection {
  const root = newSection();
  const stack: CfgSection[] = [root];
  let pendingName: { name: string; line: number } | undefined;
  const lines = text.split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const lineNo = index + 1;
    let line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const current = (): CfgSection => stack[stack.length - 1]!;
    const fail: (message: string) => never = (message) => {
      throw new CfgError(`CFG line ${lineNo}: ${message}: ${JSON.stringify(rawLine.trim().slice(0, 80))}`);
    };

    const assign = /^([^=+{}]+?)\s*(\+?=)\s*(.*)$/.exec(line);
    if (assign && !pendingName) {
      const [, name, op, value] = assign as unknown as [string, string, string, string];
      if (!NAME.test(name)) fail('invalid option name');
      const section = current();
      if (section.sections.has(name)) fail(`${name} is already a section`);
      const previous = section.options.get(name);
      section.options.set(name, op === '+=' && previous !== undefined && previous !== '' ? `${previous}, ${value}` : value);
      continue;
    }

    // Section openings and closings, possibly several braces on one line (`}` `}`).
    while (line !== '') {
      if (line.startsWith('}')) {
        if (pendingName) fail(`section ${pendingName.name} (line ${pendingName.line}) was never opened`);
        if (stack.length === 1) fail("'}' without a matching '{'");
        stack.pop();
        line = line.slice(1).trim();
      } else if (line.startsWith('{')) {
        if (!pendingName) fail("'{' without a section name");
        openSection(current(), pendingName.name, stack, fail);
        pendingName = undefined;
        line = line.slice(1).trim();
      } else {
        if (pendingName) fail(`expected '{' after section name ${pendingName.name}`);
        const brace = line.indexOf('{');
        const name = (brace < 0 ? line : line.slice(0, brace)).trim();
        if (!NAME.test(name)) fail('expected an option, a section name or a brace');
        pendingName = { name, line: lineNo };
        line = brace < 0 ? '' : line.slice(brace);
      }
    }
  }
  if (pendingName) throw new CfgError(`CFG line ${pendingName.line}: section ${pendingName.name} is never opened`);
  if (stack.length > 1) throw new CfgError(`CFG: ${stack.length - 1} section(s) never closed at end of text`);
  return root;
}

function openSection(parent: CfgSection, name: string, stack: CfgSection[], fail: (m: string) => never): void {
  if (parent.options.has(name)) fail(`${name} is already an option`);
  // A section opened twice is merged, as diraccfg does when it merges CFGs.
  let section = parent.sections.get(name);
  if (!section) {
    section = newSection();
    parent.sections.set(name, section);
  }
  stack.push(section);
}

function splitPath(path: string): string[] {
  return path.split('/').filter((part) => part !== '');
}

export function cfgSection(root: CfgSection, path: string): CfgSection | undefined {
  let section: CfgSection | undefined = root;
  for (const part of splitPath(path)) {
    section = section.sections.get(part);
    if (!section) return undefined;
  }
  return section;
}

/** The option at `/A/B/Option`, or undefined. */
export function cfgValue(root: CfgSection, path: string): string | undefined {
  const parts = splitPath(path);
  const option = parts.pop();
  if (option === undefined) return undefined;
  return cfgSection(root, parts.join('/'))?.options.get(option);
}

/** A comma-separated option as a list ([] when missing or empty). */
export function cfgList(root: CfgSection, path: string): string[] {
  const value = cfgValue(root, path);
  if (value === undefined) return [];
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** gConfig's boolean reading: yes/true/y/1 (any case) are true. */
export function cfgBool(root: CfgSection, path: string, fallback: boolean): boolean {
  const value = cfgValue(root, path);
  if (value === undefined) return fallback;
  return ['yes', 'true', 'y', '1'].includes(value.trim().toLowerCase());
}

/** Serialises a section in the layout diraccfg writes (2-space indents, braces on their own lines). */
export function serializeCfg(section: CfgSection, indent = 0): string {
  const pad = '  '.repeat(indent);
  const lines: string[] = [];
  for (const [name, value] of section.options) lines.push(`${pad}${name} = ${value}`);
  for (const [name, child] of section.sections) {
    lines.push(`${pad}${name}`, `${pad}{`);
    const body = serializeCfg(child, indent + 1);
    if (body !== '') lines.push(body);
    lines.push(`${pad}}`);
  }
  return lines.join('\n');
}
