import fc from 'fast-check';

/*
 * Requests generated from the API's own OpenAPI document: for each operation, path parameters,
 * query parameters and JSON bodies that are sometimes valid and often hostile (wrong types,
 * missing and extra fields, huge and deeply nested values, NUL and unusual unicode, bad UUIDs
 * and cursors, wrong content types). Seeded by fast-check, so a failure reproduces.
 */

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  format?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  additionalProperties?: boolean | JsonSchema;
  nullable?: boolean;
};

export interface OpenApiDoc {
  paths: Record<string, Record<string, OperationDoc>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

interface OperationDoc {
  parameters?: Array<{ name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema?: JsonSchema }>;
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export interface Operation {
  method: string;
  path: string;
  doc: OperationDoc;
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

export function operationsOf(doc: OpenApiDoc): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods)
      .filter(([method]) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map(([method, op]) => ({ method: method.toUpperCase(), path, doc: op })),
  );
}

const NUL = String.fromCharCode(0);
const NASTY_STRINGS = [
  '',
  ' ',
  NUL,
  `a${NUL}b`,
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ✓ naïve',
  '\u202e\u200b\ufeff',
  '\ud800',
  "'; drop table apps; --",
  '../../etc/passwd',
  '%00%2e%2e',
  '<script>alert(1)</script>',
  'x'.repeat(70_000),
  '9'.repeat(400),
  '-1',
  'NaN',
  '1e309',
  'null',
];

const nastyString = fc.oneof(fc.constantFrom(...NASTY_STRINGS), fc.string({ maxLength: 40, unit: 'grapheme' }), fc.string({ maxLength: 20, unit: 'binary' }));

/** Deeply nested arrays/objects (deeper still as raw JSON text: see DEEP_JSON). */
const deep = fc.integer({ min: 100, max: 800 }).map((depth) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { all: [v] };
  return v;
});

/** JSON nested 20,000 deep, as text (building it as a value would overflow this process's own stack). */
const DEEP_JSON = `${'{"rule":['.repeat(20_000)}1${']}'.repeat(20_000)}`;

/** A value of any type: what a hostile client sends where a field is expected. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, Number.MAX_SAFE_INTEGER, 1e308, -0),
  fc.array(fc.oneof(nastyString, fc.integer()), { maxLength: 5 }),
  fc.dictionary(nastyString, fc.oneof(nastyString, fc.integer()), { maxKeys: 5 }),
  fc.constant([]),
  fc.constant({}),
  deep,
);

const resolve = (schema: JsonSchema, doc: OpenApiDoc): JsonSchema => {
  if (!schema.$ref) return schema;
  const name = schema.$ref.replace('#/components/schemas/', '');
  return doc.components?.schemas?.[name] ?? {};
};

const typesOf = (s: JsonSchema) => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

/** Values that fit the schema (as far as a JSON schema says), using `ids` for UUID fields. */
export function validValue(schemaIn: JsonSchema, doc: OpenApiDoc, ids: string[], depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(schemaIn, doc);
  if (depth > 6) return fc.constant(null);
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => validValue(a, doc, ids, depth + 1)));
  if (schema.allOf?.length) return validValue(schema.allOf[0]!, doc, ids, depth + 1);
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  const types = typesOf(schema).filter((t) => t !== 'null');
  const nullable = typesOf(schema).includes('null') || schema.nullable === true;
  const type = types[0] ?? (schema.properties ? 'object' : 'string');
  let arb: fc.Arbitrary<unknown>;
  switch (type) {
    case 'object': {
      const props = Object.entries(schema.properties ?? {});
      const required = new Set(schema.required ?? []);
      const shape = Object.fromEntries(props.map(([k, v]) => [k, validValue(v, doc, ids, depth + 1)]));
      arb = props.length ? fc.record(shape, { requiredKeys: [...required].filter((k) => k in shape) }) : fc.constant({});
      break;
    }
    case 'array':
      arb = fc.array(validValue(schema.items ?? {}, doc, ids, depth + 1), { maxLength: 3 });
      break;
    case 'integer':
      arb = fc.integer({ min: Math.max(schema.minimum ?? -1000, -1e9), max: Math.min(schema.maximum ?? 1000, 1e9) });
      break;
    case 'number':
      arb = fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true });
      break;
    case 'boolean':
      arb = fc.boolean();
      break;
    default:
      if (schema.format === 'uuid') arb = ids.length ? fc.oneof(fc.constantFrom(...ids), fc.uuid()) : fc.uuid();
      else if (schema.format === 'date-time') arb = fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
      else if (schema.format === 'uri') arb = fc.constantFrom('https://example.com/x', 'http://127.0.0.1:1/', 'not a url');
      else arb = fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 30, 60) });
  }
  return nullable ? fc.oneof(arb, fc.constant(null)) : arb;
}

/** A body that may be valid, broken in one field, missing required fields, padded with unknown ones, or hostile. */
function bodyFor(schema: JsonSchema | undefined, doc: OpenApiDoc, ids: string[]): fc.Arbitrary<unknown> {
  if (!schema) return hostileValue;
  const valid = validValue(schema, doc, ids);
  const resolved = resolve(schema, doc);
  const keys = Object.keys(resolved.properties ?? {});
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    {
      weight: 2,
      arbitrary: fc
        .tuple(valid, keys.length ? fc.constantFrom(...keys) : fc.constant('x'), hostileValue)
        .map(([v, k, bad]) => (isObject(v) ? { ...v, [k]: bad } : bad)),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.dictionary(nastyString, hostileValue, { minKeys: 1, maxKeys: 40 }))
        .map(([v, extra]) => (isObject(v) ? { ...extra, ...v } : extra)),
    },
    { weight: 1, arbitrary: valid.map((v) => (isObject(v) ? Object.fromEntries(Object.entries(v).slice(1)) : v)) },
    { weight: 1, arbitrary: hostileValue },
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const pathValue = (schema: JsonSchema | undefined, ids: string[]) =>
  schema?.format === 'uuid' || /id$/i.test(String(schema))
    ? fc.oneof(
        { weight: 4, arbitrary: ids.length ? fc.constantFrom(...ids) : fc.uuid() },
        { weight: 1, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: nastyString },
      )
    : fc.oneof(validValue(schema ?? {}, { paths: {} }, ids).map(String), nastyString);

/** One request to `op`: path and query parameters, body, content type. */
export function requestFor(op: Operation, doc: OpenApiDoc, ids: string[]): fc.Arbitrary<Omit<FuzzRequest, 'headers'> & { contentType: string | null }> {
  const params = op.doc.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const jsonBody = op.doc.requestBody?.content?.['application/json']?.schema;
  const hasBody = ['POST', 'PUT', 'PATCH'].includes(op.method);
  return fc
    .record({
      path: fc.tuple(
        ...pathParams.map((p) =>
          p.schema?.format === 'uuid' || p.name.endsWith('Id') || p.name === 'id' ? pathValue({ format: 'uuid' }, ids) : pathValue(p.schema, ids),
        ),
      ),
      query: fc.tuple(
        ...queryParams.map((p) =>
          fc.option(
            fc.oneof(
              validValue(p.schema ?? {}, doc, ids).map(String),
              nastyString,
              fc.constantFrom('eyJhIjoxfQ', Buffer.from(JSON.stringify(['+275760-09-13T00:00:00.001Z', 'x'])).toString('base64url'), 'W10', '%00'),
            ),
          ),
        ),
      ),
      body: hasBody ? fc.option(bodyFor(jsonBody, doc, ids), { freq: 6 }) : fc.constant(null),
      contentType: hasBody
        ? fc.constantFrom<string | null>('application/json', 'application/json', 'application/json', 'text/plain', null, 'application/json; charset=utf-8')
        : fc.constant(null),
      raw: fc.constantFrom<string | null>(null, null, null, null, null, null, null, '{"unterminated": ', '\u0000', '[]', DEEP_JSON),
    })
    .map(({ path, query, body, contentType, raw }) => {
      let url = op.path;
      pathParams.forEach((p, i) => (url = url.replace(`{${p.name}}`, encodeURIComponent(String(path[i])))));
      const search = new URLSearchParams();
      queryParams.forEach((p, i) => {
        const v = query[i];
        if (v !== null && v !== undefined) search.set(p.name, v);
      });
      const qs = search.toString();
      // fetch refuses a body on GET/DELETE; those get none.
      const sendBody = hasBody ? (raw ?? (body === null ? undefined : JSON.stringify(body))) : undefined;
      return { method: op.method, url: qs ? `${url}?${qs}` : url, body: sendBody, contentType };
    });
}
