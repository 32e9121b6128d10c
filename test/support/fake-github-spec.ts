import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';

/**
 * GitHub's published REST description (the `@octokit/openapi` package), read once per test
 * file, the first time a fake needs it; only the operations a fake serves are compiled.
 */
const SPEC_PATH = fileURLToPath(
  new URL('../../node_modules/@octokit/openapi/generated/api.github.com.json', import.meta.url),
);

type Json = Record<string, unknown>;

interface OpenApi {
  readonly paths: Record<string, Record<string, Json>>;
  readonly components: Json;
}

let loaded: OpenApi | undefined;

function spec(): OpenApi {
  loaded ??= JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as OpenApi;
  return loaded;
}

// CommonJS modules: the classes hang off `default` under Node's ESM interop.
const Ajv = AjvModule.default;
const addFormats = formatsModule.default;

// Bodies are checked as sent; path and query values arrive as strings and are coerced to the
// declared types first, as GitHub does. OpenAPI 3.0 extras (`example`, `x-github`) are ignored.
const bodyAjv = new Ajv({ strict: false, allErrors: true, logger: false });
const paramAjv = new Ajv({ strict: false, allErrors: true, logger: false, coerceTypes: true });
addFormats(bodyAjv);
addFormats(paramAjv);

/** A served operation of the description, with its compiled request checks. */
export interface SpecOperation {
  readonly operationId: string;
  readonly method: string;
  readonly template: string;
  /** Path parameter names in template order, and whether each may span segments. */
  readonly pathParams: readonly { readonly name: string; readonly multiSegment: boolean }[];
  /** The description's complaints about a request; empty when it matches. */
  check(request: {
    readonly path: Record<string, string>;
    readonly query: Record<string, string>;
    readonly body: unknown;
  }): string[];
}

/** Inlines every `$ref` of a schema fragment (the served operations' schemas are acyclic). */
function resolve(node: unknown, depth = 0): unknown {
  if (depth > 40) throw new Error('fake-github: $ref nesting too deep');
  if (Array.isArray(node)) return node.map((item) => resolve(item, depth + 1));
  if (typeof node !== 'object' || node === null) return node;
  const ref = (node as Json).$ref;
  if (typeof ref === 'string') {
    const target = ref
      .replace(/^#\//, '')
      .split('/')
      .reduce<unknown>((at, key) => (at as Json)[key], spec());
    return resolve(target, depth + 1);
  }
  return Object.fromEntries(
    Object.entries(node as Json).map(([key, value]) => [key, resolve(value, depth + 1)]),
  );
}

function describe(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).map(
    (error) =>
      `${where}${error.instancePath || ''} ${error.message ?? 'is invalid'}${
        error.params && Object.keys(error.params).length > 0
          ? ` ${JSON.stringify(error.params)}`
          : ''
      }`,
  );
}

const compiled = new Map<string, SpecOperation>();

/**
 * The operation `METHOD template` of GitHub's description, compiled on first use. Throws when
 * the description has no such operation: a fake must serve only what GitHub documents.
 */
export function specOperation(method: string, template: string): SpecOperation {
  const key = `${method.toUpperCase()} ${template}`;
  const cached = compiled.get(key);
  if (cached !== undefined) return cached;
  const operation = spec().paths[template]?.[method.toLowerCase()] as Json | undefined;
  if (operation === undefined) {
    throw new Error(`fake-github: GitHub's REST description has no ${key}`);
  }
  const parameters = resolve(operation.parameters ?? []) as {
    name: string;
    in: string;
    required?: boolean;
    schema?: Json;
    'x-multi-segment'?: boolean;
  }[];
  const group = (place: string): ValidateFunction => {
    const own = parameters.filter((parameter) => parameter.in === place);
    return paramAjv.compile({
      type: 'object',
      properties: Object.fromEntries(own.map((p) => [p.name, p.schema ?? {}])),
      required: own.filter((p) => p.required === true).map((p) => p.name),
      additionalProperties: false,
    });
  };
  const pathCheck = group('path');
  const queryCheck = group('query');
  const requestBody = resolve(operation.requestBody) as
    | { required?: boolean; content?: Record<string, { schema?: Json }> }
    | undefined;
  const bodySchema = requestBody?.content?.['application/json']?.schema;
  const bodyCheck = bodySchema === undefined ? undefined : bodyAjv.compile(bodySchema);
  const pathNames = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] as string);
  const result: SpecOperation = {
    operationId: String(operation.operationId),
    method: method.toUpperCase(),
    template,
    pathParams: pathNames.map((name) => ({
      name,
      multiSegment: parameters.some((p) => p.name === name && p['x-multi-segment'] === true),
    })),
    check: (request) => {
      const problems: string[] = [];
      const path = { ...request.path };
      if (!pathCheck(path)) problems.push(...describe(pathCheck.errors, 'path'));
      const query = { ...request.query };
      if (!queryCheck(query)) problems.push(...describe(queryCheck.errors, 'query'));
      if (bodyCheck === undefined) {
        if (request.body !== undefined) problems.push('body: this operation takes no body');
      } else if (request.body === undefined) {
        if (requestBody?.required === true) problems.push('body: required');
      } else if (!bodyCheck(request.body)) {
        problems.push(...describe(bodyCheck.errors, 'body'));
      }
      return problems;
    },
  };
  compiled.set(key, result);
  return result;
}
