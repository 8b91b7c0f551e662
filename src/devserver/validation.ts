import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import spec from '../../spec/diracx-openapi.json' with { type: 'json' };

/** One entry of FastAPI's 422 `detail` list. */
export interface ValidationIssue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input?: unknown;
}

interface CompiledOperation {
  operationId: string;
  body: ValidateFunction | null;
  bodyRequired: boolean;
  query: ValidateFunction | null;
  path: ValidateFunction | null;
}

type JsonSchema = Record<string, unknown>;

const SPEC_ID = 'https://diracx.invalid/openapi.json';

/**
 * OpenAPI 3.0 → JSON Schema: `nullable: true` becomes an anyOf with null, and local refs point
 * into the spec document registered under SPEC_ID. Everything else (patterns, lengths,
 * additionalProperties=false from pydantic's extra=forbid) is kept as the spec says.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (typeof node !== 'object' || node === null) return node;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'nullable' || key === 'example' || key === 'examples') continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) out[key] = `${SPEC_ID}${value}`;
    else out[key] = toJsonSchema(value);
  }
  if ((node as JsonSchema).nullable === true) return { anyOf: [out, { type: 'null' }] };
  return out;
}

/**
 * Pydantic's datetime accepts ISO 8601 with a space or `T`, with or without fraction and zone
 * (the zone check DiracX makes on status timestamps is the route's own, with its own 400).
 */
const PYDANTIC_DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

function createAjv(coerce: boolean): Ajv {
  const ajv = new Ajv({ strict: false, allErrors: true, coerceTypes: coerce });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => Ajv;
  addFormats(ajv);
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => PYDANTIC_DATETIME.test(s) && !Number.isNaN(Date.parse(s.replace(' ', 'T'))),
  });
  const schemas = (spec as { components: { schemas: JsonSchema } }).components.schemas;
  ajv.addSchema({ $id: SPEC_ID, components: { schemas: toJsonSchema(schemas) } });
  return ajv;
}

interface SpecParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: unknown;
}

interface SpecOperation {
  operationId: string;
  parameters?: SpecParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: unknown }> };
}

function parameterSchema(params: SpecParameter[], where: string): JsonSchema | null {
  const relevant = params.filter((p) => p.in === where);
  if (relevant.length === 0) return null;
  return {
    type: 'object',
    properties: Object.fromEntries(relevant.map((p) => [p.name, toJsonSchema(p.schema ?? {})])),
    required: relevant.filter((p) => p.required).map((p) => p.name),
  };
}

export class SpecValidator {
  private readonly operations = new Map<string, CompiledOperation>();

  constructor() {
    const bodies = createAjv(false);
    const params = createAjv(true);
    const paths = (spec as unknown as { paths: Record<string, Record<string, SpecOperation>> }).paths;
    for (const [template, methods] of Object.entries(paths)) {
      for (const [method, op] of Object.entries(methods)) {
        const content = op.requestBody?.content ?? {};
        const bodySchema = Object.values(content)[0]?.schema;
        const query = parameterSchema(op.parameters ?? [], 'query');
        const path = parameterSchema(op.parameters ?? [], 'path');
        this.operations.set(`${method.toUpperCase()} ${template}`, {
          operationId: op.operationId,
          body: bodySchema === undefined ? null : bodies.compile(toJsonSchema(bodySchema) as JsonSchema),
          bodyRequired: op.requestBody?.required === true,
          query: query ? params.compile(query) : null,
          path: path ? params.compile(path) : null,
        });
      }
    }
  }

  has(method: string, template: string): boolean {
    return this.operations.has(`${method} ${template}`);
  }

  /**
   * Checks query, path and body against the spec; query and path values are coerced in place
   * (`force=true` → boolean). Returns FastAPI-style issues, empty when the request fits.
   */
  validate(
    method: string,
    template: string,
    parts: { query: Record<string, unknown>; pathParams: Record<string, unknown>; body: unknown; bodyPresent: boolean },
  ): ValidationIssue[] {
    const op = this.operations.get(`${method} ${template}`);
    if (!op) return [];
    const issues: ValidationIssue[] = [];
    if (op.query && !op.query(parts.query)) issues.push(...toIssues(op.query.errors, 'query', parts.query));
    if (op.path && !op.path(parts.pathParams)) issues.push(...toIssues(op.path.errors, 'path', parts.pathParams));
    if (op.body) {
      if (!parts.bodyPresent) {
        if (op.bodyRequired) issues.push({ type: 'missing', loc: ['body'], msg: 'Field required', input: null });
      } else if (!op.body(parts.body)) {
        issues.push(...toIssues(op.body.errors, 'body', parts.body));
      }
    }
    return issues;
  }
}

const TYPE_NAMES: Record<string, string> = {
  number: 'float_type',
  integer: 'int_type',
  string: 'string_type',
  boolean: 'bool_type',
  object: 'dict_type',
  array: 'list_type',
  null: 'none_required',
};

function toIssues(errors: ErrorObject[] | null | undefined, where: string, root: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors ?? []) {
    // anyOf-with-null wrappers produce a "must be null" and an "anyOf" entry next to the real one.
    if (error.keyword === 'anyOf' || (error.keyword === 'type' && error.params.type === 'null')) continue;
    const loc: (string | number)[] = [where, ...error.instancePath.split('/').slice(1).map(unescapePointer)];
    let type = error.keyword;
    let msg = error.message ?? 'invalid';
    if (error.keyword === 'additionalProperties') {
      loc.push(String(error.params.additionalProperty));
      type = 'extra_forbidden';
      msg = 'Extra inputs are not permitted';
    } else if (error.keyword === 'required') {
      loc.push(String(error.params.missingProperty));
      type = 'missing';
      msg = 'Field required';
    } else if (error.keyword === 'type') {
      type = TYPE_NAMES[String(error.params.type)] ?? 'type_error';
      msg = `Input should be a valid ${String(error.params.type)}`;
    } else if (error.keyword === 'pattern') {
      type = 'string_pattern_mismatch';
      msg = `String should match pattern '${String(error.params.pattern)}'`;
    } else if (error.keyword === 'maxLength') {
      type = 'string_too_long';
    } else if (error.keyword === 'minLength') {
      type = 'string_too_short';
    } else if (error.keyword === 'enum') {
      msg = `Input should be ${(error.params.allowedValues as unknown[]).map((v) => `'${String(v)}'`).join(' or ')}`;
    }
    const key = `${type}|${loc.join('.')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const at = valueAt(root, error.instancePath);
    const input = type === 'extra_forbidden' ? (at as Record<string, unknown>)[String(error.params.additionalProperty)] : at;
    issues.push({ type, loc, msg, input });
  }
  return issues;
}

function unescapePointer(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~');
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const segment of pointer.split('/').slice(1).map(unescapePointer)) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** A one-line summary of issues, for `violations` and logs. */
export function describeIssues(issues: ValidationIssue[]): string {
  return issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; ');
}
