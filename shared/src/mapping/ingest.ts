import type { IntrospectedColumn, IntrospectedTable, TypeFamily } from '../sources/types.ts';
import type { SourceValue } from '../sources/writes.ts';
import { parseJsonArrayKeepingNumbers } from '../sources/json-array.ts';
import { canonicalKeyText } from './canonical.ts';
import { choicesFor, convertValue } from './convert.ts';
import { canonicalDecimal, compareDecimal } from './decimal.ts';
import { sourceTextFromList } from './list-text.ts';
import { ALLOWED_TARGETS } from './rules.ts';
import { formatUtcDate, intervalToIso, isValidDate, parseTimestampText } from './temporal.ts';
import { isMultiValued, itemValueOf, valueOfLookupId, type Lookups } from './lookups.ts';
import type { FieldMappingSpec } from './types.ts';

/*
 * Ingress: a list item's `fields` (as Microsoft Graph returns them) back into row values, the
 * inverse of convertRow. For every value push writes, converting the result forward again gives
 * exactly the same list value (the round-trip law, TYPE-MAPPING.md "Back from the list"). A list
 * value the column cannot hold, or that push could not write back, is refused with the column
 * and a reason; nothing is rounded, truncated or guessed.
 */

export type IngestResult = { ok: true; driver: Record<string, unknown>; write: Record<string, SourceValue> } | { ok: false; column: string; reason: string };

/** `missing`: the item has no key value at all (the key column empty, or not mapped for ingress): one a generator may supply. */
export type ItemKeyResult = { ok: true; key: string[] } | { ok: false; column: string; reason: string; missing?: true };

/** One value back: the driver value (what convertRow takes) and the value to write (what applyChanges takes). */
type Back = { ok: true; driver: unknown; write: SourceValue } | { ok: false; reason: string };

const back = (driver: unknown, write: SourceValue = driver as SourceValue): Back => ({ ok: true, driver, write });
const fail = (reason: string): Back => ({ ok: false, reason });
const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
};

const INTEGER_RANGES: Partial<Record<TypeFamily, [string, string]>> = {
  smallint: ['-32768', '32767'],
  integer: ['-2147483648', '2147483647'],
  bigint: ['-9223372036854775808', '9223372036854775807'],
};
/** The largest finite float4 (PostgreSQL real, MySQL float). */
const REAL_MAX = 3.4028234663852886e38;
const SPECIAL_FLOATS: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0', 'off']);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const FULL_TIMESTAMP = /^\d{4,}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d+)?\s*(?:Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/i;
const DAY_MS = 86_400_000;

const isEmpty = (v: unknown): boolean => v === undefined || v === null || v === '';
const ingresses = (m: FieldMappingSpec): boolean => m.direction === 'ingress' || m.direction === 'both';

/**
 * Whether a mapping carries values back from the list, and if not why: its direction is
 * push-only, the column cannot be written (generated, identity always), the target type is not
 * one the column converts to, or a transform other than `trim` changes the value in a way that
 * cannot be undone. `trim` is accepted: the list value is taken as it is. Callers check this when
 * a definition is validated; itemToRow ignores mappings with a problem (they are not part of ingress).
 */
export function ingestProblem(mapping: FieldMappingSpec, column: IntrospectedColumn): string | null {
  const name = mapping.sourceColumn;
  if (!ingresses(mapping)) return `column ${name}: the mapping is push-only`;
  if (column.generated) return `column ${name}: it is a generated column, which cannot be written; make the mapping push-only`;
  if (column.identity === 'always') return `column ${name}: it is a GENERATED ALWAYS identity column, which cannot be written; make the mapping push-only`;
  if (!ALLOWED_TARGETS[column.typeFamily].includes(mapping.targetType)) {
    return `column ${name}: a ${column.dataType} column cannot convert to a SharePoint ${mapping.targetType} column`;
  }
  if ((mapping.transforms ?? []).some((t) => t.op !== 'trim')) return `column ${name}: its transforms cannot be inverted; make the mapping push-only`;
  return null;
}

/**
 * The row values of a list item's fields, for the mappings whose direction is 'ingress' or
 * 'both' (push-only mappings are skipped, as are mappings with an ingestProblem: those are not
 * part of ingress). An absent, null or '' field is NULL ('' in a NOT NULL text column mapped to
 * text or note, as push wrote it: sourceTextFromList). The first value that cannot come back
 * fails the item with the column and a reason.
 */
export function itemToRow(fields: Record<string, unknown>, mappings: FieldMappingSpec[], table: IntrospectedTable, lookups?: Lookups): IngestResult {
  const columns = new Map(table.columns.map((c) => [c.name, c]));
  const driver: Record<string, unknown> = {};
  const write: Record<string, SourceValue> = {};
  for (const mapping of mappings) {
    if (!ingresses(mapping)) continue;
    const column = columns.get(mapping.sourceColumn);
    if (!column) return { ok: false, column: mapping.sourceColumn, reason: `column ${mapping.sourceColumn} no longer exists in ${table.schema}.${table.name}` };
    if (ingestProblem(mapping, column) !== null) continue;
    const result = ingestValue(itemValueOf(fields, mapping), column, mapping, lookups);
    if (!result.ok) return { ok: false, column: mapping.sourceColumn, reason: `${mapping.sourceColumn}: ${result.reason}` };
    driver[mapping.sourceColumn] = result.driver;
    write[mapping.sourceColumn] = result.write;
  }
  return { ok: true, driver, write };
}

/**
 * The key of an item created in SharePoint (it has no SyncBridgeKey yet): the canonical text
 * (canonicalKeyText) of each key column, read from the field its ingress mapping fills. Fails
 * when a key column has no ingress mapping, or its value is missing or invalid.
 */
export function itemKey(
  fields: Record<string, unknown>,
  keyColumns: string[],
  mappings: FieldMappingSpec[],
  table: IntrospectedTable,
  lookups?: Lookups,
): ItemKeyResult {
  const columns = new Map(table.columns.map((c) => [c.name, c]));
  const key: string[] = [];
  for (const name of keyColumns) {
    const column = columns.get(name);
    if (!column) return { ok: false, column: name, reason: `key column ${name} does not exist in ${table.schema}.${table.name}` };
    const mapping = mappings.find((m) => m.sourceColumn === name && ingresses(m));
    if (!mapping)
      return { ok: false, column: name, missing: true, reason: `key column ${name} is not mapped for ingress, so an item created in SharePoint has no key` };
    const problem = ingestProblem(mapping, column);
    if (problem) return { ok: false, column: name, reason: `key column ${name} cannot come back from the list (${problem})` };
    if (column.typeFamily === 'json' || column.typeFamily === 'jsonb' || column.typeFamily === 'array') {
      return { ok: false, column: name, reason: `key column ${name}: a ${column.dataType} value cannot be part of a key` };
    }
    const result = ingestValue(itemValueOf(fields, mapping), column, mapping, lookups);
    if (!result.ok) return { ok: false, column: name, reason: `key column ${name}: ${result.reason}` };
    if (result.write === null || result.write === '')
      return { ok: false, column: name, missing: true, reason: `key column ${name}: the item has no value in ${mapping.targetColumn}` };
    let text: string | null;
    try {
      text = canonicalKeyText(result.write, column.typeFamily);
    } catch (err) {
      return { ok: false, column: name, reason: `key column ${name}: ${(err as Error).message}` };
    }
    if (text === null) return { ok: false, column: name, missing: true, reason: `key column ${name}: the item has no value in ${mapping.targetColumn}` };
    key.push(text);
  }
  return { ok: true, key };
}

/** One list value back, then checked forward: a value push could not write again is refused here, not on the next push. */
function ingestValue(value: unknown, column: IntrospectedColumn, mapping: FieldMappingSpec, lookups?: Lookups): Back {
  if (isEmpty(value) || (mapping.targetType === 'hyperlink' && isEmptyLink(value))) {
    if (column.typeFamily === 'text' && (mapping.targetType === 'text' || mapping.targetType === 'note')) {
      const text = sourceTextFromList(null, column);
      return back(text);
    }
    return back(null);
  }
  if ((mapping.targetType === 'multiChoice' || isMultiValued(mapping)) && Array.isArray(value) && value.length === 0) return back(null);
  const result = fromList(value, column, mapping, lookups);
  if (!result.ok || result.driver === null) return result;
  const forward = convertValue(result.driver, column, mapping, lookups);
  if (!forward.ok) return fail(`${forward.reason} (the list value ${show(value)} could not be pushed back to the list)`);
  return result;
}

const isEmptyLink = (v: unknown): boolean => typeof v === 'object' && v !== null && isEmpty((v as { Url?: unknown }).Url);

function fromList(value: unknown, column: IntrospectedColumn, mapping: FieldMappingSpec, lookups?: Lookups): Back {
  const target = mapping.targetType;
  switch (target) {
    case 'text':
    case 'note':
    case 'choice':
      if (typeof value !== 'string') return fail(`the ${target} field ${mapping.targetColumn} holds ${show(value)}, expected text`);
      return fromText(value, column, mapping);
    case 'hyperlink': {
      const url = typeof value === 'string' ? value : typeof value === 'object' && value !== null ? (value as { Url?: unknown }).Url : undefined;
      if (typeof url !== 'string') return fail(`the hyperlink field ${mapping.targetColumn} holds ${show(value)}, expected { Url, Description }`);
      return fromText(url, column, mapping);
    }
    case 'number':
    case 'currency':
      if (typeof value !== 'number' || !Number.isFinite(value))
        return fail(`the ${target} field ${mapping.targetColumn} holds ${show(value)}, expected a number`);
      return fromNumber(value, column);
    case 'boolean':
      if (typeof value !== 'boolean') return fail(`the boolean field ${mapping.targetColumn} holds ${show(value)}, expected true or false`);
      return column.typeFamily === 'boolean' ? back(value) : fromText(value ? 'true' : 'false', column, mapping);
    case 'dateTime': {
      const d = typeof value === 'string' ? parseTimestampText(value) : null;
      if (!d || !isValidDate(d)) return fail(`the dateTime field ${mapping.targetColumn} holds ${show(value)}, expected an ISO 8601 date and time`);
      return fromDateTime(d, column, mapping);
    }
    case 'multiChoice': {
      if (!Array.isArray(value) || !value.every((c) => typeof c === 'string'))
        return fail(`the multi-choice field ${mapping.targetColumn} holds ${show(value)}, expected an array of texts`);
      // The JSON array text: an array column takes its elements, a JSON column the array.
      return fromText(JSON.stringify(value), column, { ...mapping, targetType: 'note' });
    }
    case 'lookup':
    case 'person': {
      if (isMultiValued(mapping)) return fromLookupIds(value, column, mapping, lookups);
      const id = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(id)) return fail(`the ${target} field ${mapping.targetColumn} holds ${show(value)}, expected a lookup id`);
      const text = valueOfLookupId(id, mapping, lookups);
      if (!text.ok) return fail(text.reason);
      return fromText(text.text, column, { ...mapping, targetType: 'text' });
    }
  }
}

/** The ids of a multi-valued lookup or person field back to the array (or JSON array) of what the table holds for each. */
function fromLookupIds(value: unknown, column: IntrospectedColumn, mapping: FieldMappingSpec, lookups?: Lookups): Back {
  if (!Array.isArray(value)) return fail(`the multi-valued ${mapping.targetType} field ${mapping.targetColumn} holds ${show(value)}, expected a collection`);
  const numericElements =
    column.typeFamily === 'array' ? ['smallint', 'integer', 'bigint'].includes(column.elementFamily ?? '') : mapping.targetType === 'lookup';
  const out: Array<string | number> = [];
  for (const v of value) {
    const id = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(id)) return fail(`the ${mapping.targetType} field ${mapping.targetColumn} holds ${show(v)}, expected a lookup id`);
    const text = valueOfLookupId(id, mapping, lookups);
    if (!text.ok) return fail(text.reason);
    out.push(numericElements && /^-?\d+$/.test(text.text) && Number.isSafeInteger(Number(text.text)) ? Number(text.text) : text.text);
  }
  // The JSON array text: an array column takes its elements, a JSON column the array.
  return fromText(JSON.stringify(out), column, { ...mapping, targetType: 'note' });
}

/** A number field: integers exactly within the family's range, numerics within their scale, floats as they are. */
function fromNumber(n: number, column: IntrospectedColumn): Back {
  const family = column.typeFamily;
  const value = Object.is(n, -0) ? 0 : n;
  const canonical = canonicalDecimal(value) as string;
  switch (family) {
    case 'smallint':
    case 'integer':
    case 'bigint':
      if (!Number.isInteger(value)) return fail(`${canonical} is not an integer, and ${column.name} is ${column.dataType}`);
      if (family === 'bigint' && !Number.isSafeInteger(value)) {
        return fail(`${canonical} is beyond ±(2^53 - 1): a SharePoint number cannot tell it from its neighbours, so it is not written to ${column.name}`);
      }
      return integerBack(canonical, column);
    case 'numeric':
      return numericBack(canonical, column);
    case 'real':
    case 'double':
      return floatBack(value, column);
    case 'text':
      // The plain decimal, or the shorter exponent form where only that fits the column ("-1e+254").
      return textBack(column.maxLength !== null && canonical.length > column.maxLength ? String(value) : canonical, column);
    default:
      return fail(`a number cannot go back into ${column.name} (${column.dataType})`);
  }
}

function integerBack(canonical: string, column: IntrospectedColumn): Back {
  const range = INTEGER_RANGES[column.typeFamily] as [string, string];
  if (compareDecimal(canonical, range[0]) < 0 || compareDecimal(canonical, range[1]) > 0) {
    return fail(`${canonical} is outside the range of ${column.name} (${column.dataType}: ${range[0]} to ${range[1]})`);
  }
  return column.typeFamily === 'bigint' ? back(canonical) : back(Number(canonical));
}

function numericBack(canonical: string, column: IntrospectedColumn): Back {
  const [int = '', frac = ''] = canonical.replace(/^-/, '').split('.');
  const scale = column.numericScale;
  if (scale !== null && scale >= 0 && frac.length > scale) {
    return fail(`${canonical} has ${frac.length} decimal places, ${column.name} (${column.dataType}) keeps ${scale}; it is not rounded`);
  }
  const precision = column.numericPrecision;
  if (precision !== null && scale !== null && int !== '0' && int.length > precision - scale) {
    return fail(`${canonical} has ${int.length} integer digits, ${column.name} (${column.dataType}) holds at most ${precision - scale}`);
  }
  return back(canonical);
}

function floatBack(n: number, column: IntrospectedColumn): Back {
  if (column.typeFamily === 'real' && Number.isFinite(n) && Math.abs(n) > REAL_MAX) {
    return fail(`${canonicalDecimal(n)} is outside the range of ${column.name} (${column.dataType})`);
  }
  return back(n);
}

function textBack(text: string, column: IntrospectedColumn): Back {
  if (column.maxLength !== null && text.length > column.maxLength) {
    return fail(`${show(text)} is ${text.length} characters long, ${column.name} (${column.dataType}) holds ${column.maxLength}`);
  }
  return back(text);
}

/** A dateTime field: dates (the day in UTC), timestamps (the instant, whole seconds as SharePoint keeps it), or text. */
function fromDateTime(d: Date, column: IntrospectedColumn, mapping: FieldMappingSpec): Back {
  const format = dateTimeFormat(mapping, column);
  // The canonical text (canonical.ts): whole seconds from SharePoint, `2024-03-01T10:00:00Z`.
  const iso = canonicalKeyText(d.toISOString(), 'timestamptz') as string;
  switch (column.typeFamily) {
    case 'date': {
      const day = new Date(Math.floor(d.getTime() / DAY_MS) * DAY_MS);
      if (format !== 'dateOnly' && day.getTime() !== d.getTime()) {
        return fail(`${iso} has a time of day, and ${column.name} (${column.dataType}) keeps the day only`);
      }
      return back(day, formatUtcDate(day));
    }
    case 'timestamp':
      return back(d, iso.slice(0, -1));
    case 'timestamptz':
      return back(d, iso);
    case 'text':
      return textBack(format === 'dateOnly' && d.getTime() % DAY_MS === 0 ? formatUtcDate(d) : iso, column);
    default:
      return fail(`a date cannot go back into ${column.name} (${column.dataType})`);
  }
}

function dateTimeFormat(mapping: FieldMappingSpec, column: IntrospectedColumn): 'dateOnly' | 'dateTime' {
  const explicit = mapping.converterOptions.format;
  if (explicit === 'dateOnly' || explicit === 'dateTime') return explicit;
  return column.typeFamily === 'date' ? 'dateOnly' : 'dateTime';
}

/** A text field (text, note, choice, the Url of a hyperlink) parsed as the column's family. */
function fromText(text: string, column: IntrospectedColumn, mapping: FieldMappingSpec): Back {
  const family = column.typeFamily;
  if (mapping.targetType === 'choice') {
    const choices = family === 'enum' ? (column.enumValues ?? []) : choicesFor(mapping, column);
    const free = family !== 'enum' && mapping.converterOptions.allowTextEntry === true;
    if (!free && !choices.includes(text)) {
      const what = family === 'enum' ? `one of the labels of ${column.name} (${column.dataType})` : `one of the choices of ${mapping.targetColumn}`;
      return fail(`${show(text)} is not ${what}: ${choices.map((c) => JSON.stringify(c)).join(', ')}`);
    }
  }
  switch (family) {
    case 'text':
      return textBack(text, column);
    case 'enum': {
      const labels = column.enumValues ?? [];
      if (!labels.includes(text)) return fail(`${show(text)} is not one of the labels of ${column.name} (${column.dataType}): ${labels.join(', ')}`);
      return back(text);
    }
    case 'smallint':
    case 'integer':
    case 'bigint': {
      const canonical = canonicalDecimal(text);
      if (canonical === null || canonical.includes('.')) return fail(`${show(text)} is not an integer, and ${column.name} is ${column.dataType}`);
      return integerBack(canonical, column);
    }
    case 'numeric': {
      if (Object.hasOwn(SPECIAL_FLOATS, text.trim())) return back(text.trim());
      const canonical = canonicalDecimal(text);
      if (canonical === null) return fail(`${show(text)} is not a decimal number, and ${column.name} is ${column.dataType}`);
      return numericBack(canonical, column);
    }
    case 'real':
    case 'double': {
      const special = SPECIAL_FLOATS[text.trim()];
      if (special !== undefined) return back(special);
      const canonical = canonicalDecimal(text);
      if (canonical === null) return fail(`${show(text)} is not a number, and ${column.name} is ${column.dataType}`);
      const n = Number(canonical);
      if (!Number.isFinite(n)) return fail(`${show(text)} is outside the range of ${column.name} (${column.dataType})`);
      return floatBack(n, column);
    }
    case 'boolean': {
      const word = text.trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return back(true);
      if (FALSE_WORDS.has(word)) return back(false);
      return fail(`${show(text)} is not a boolean (true/false, yes/no, 1/0), and ${column.name} is ${column.dataType}`);
    }
    case 'date': {
      const d = parseTimestampText(text);
      if (!d || !isValidDate(d)) return fail(`${show(text)} is not a date (YYYY-MM-DD)`);
      if (d.getTime() % DAY_MS !== 0) return fail(`${show(text)} has a time of day, and ${column.name} (${column.dataType}) keeps the day only`);
      return back(d, formatUtcDate(d));
    }
    case 'timestamp':
    case 'timestamptz':
      return timestampFromText(text, column);
    case 'uuid':
      if (!UUID.test(text.trim())) return fail(`${show(text)} is not a UUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)`);
      return back(text.trim().toLowerCase());
    case 'interval':
      if (intervalToIso(text) === null) return fail(`${show(text)} is not an interval (an ISO 8601 duration such as P1DT2H3M4.5S)`);
      return back(text.trim());
    case 'json':
    case 'jsonb': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        return fail(`${show(text)} is not JSON, and ${column.name} is ${column.dataType}`);
      }
      return back(parsed, text);
    }
    case 'array':
      return arrayFromText(text, column);
    case 'bytea': {
      const b64 = text.trim();
      if (!BASE64.test(b64)) return fail(`${show(text)} is not base64 (the list form of ${column.name}, ${column.dataType})`);
      const bytes = Buffer.from(b64, 'base64');
      return back(bytes, bytes);
    }
    case 'time':
    case 'other':
      return back(text);
  }
}

function timestampFromText(text: string, column: IntrospectedColumn): Back {
  const d = parseTimestampText(text);
  if (!d || !isValidDate(d)) return fail(`${show(text)} is not a timestamp (ISO 8601, e.g. 2024-03-01T10:00:00Z)`);
  // Every fractional digit of the text is written (the driver value, a Date, keeps milliseconds);
  // an offset moves it to UTC, no offset means UTC (SyncBridge's rule for timestamp without time zone).
  const s = text.trim();
  const utc = canonicalKeyText(FULL_TIMESTAMP.test(s) ? s : d.toISOString(), 'timestamptz') as string;
  return back(d, column.typeFamily === 'timestamptz' ? utc : utc.slice(0, -1));
}

/** JSON array text (as push writes arrays) back into element values by the element family; nested arrays stay nested. */
function arrayFromText(text: string, column: IntrospectedColumn): Back {
  const element = column.elementFamily ?? 'other';
  const keepDigits = element === 'bigint' || element === 'numeric';
  let items: unknown;
  try {
    items = keepDigits ? parseJsonArrayKeepingNumbers(text) : JSON.parse(text);
  } catch {
    items = undefined;
  }
  if (!Array.isArray(items)) return fail(`${show(text)} is not a JSON array, and ${column.name} is ${column.dataType}`);
  const elementColumn: IntrospectedColumn = {
    ...column,
    typeFamily: element,
    dataType: `an element of ${column.dataType}`,
    maxLength: null,
    numericPrecision: null,
    numericScale: null,
  };
  const driver: unknown[] = [];
  const write: unknown[] = [];
  const convert = (list: unknown[], d: unknown[], w: unknown[], path: string): string | null => {
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      const at = `${path}${i + 1}`;
      if (Array.isArray(item)) {
        const dn: unknown[] = [];
        const wn: unknown[] = [];
        const problem = convert(item, dn, wn, `${at}.`);
        if (problem) return problem;
        d.push(dn);
        w.push(wn);
        continue;
      }
      const r = arrayElementBack(item, elementColumn);
      if (!r.ok) return `element ${at}: ${r.reason}`;
      d.push(r.driver);
      w.push(r.write);
    }
    return null;
  };
  const problem = convert(items, driver, write, '');
  return problem ? fail(problem) : back(driver, write);
}

function arrayElementBack(item: unknown, element: IntrospectedColumn): Back {
  if (item === null) return back(null);
  switch (element.typeFamily) {
    case 'json':
    case 'jsonb':
      return back(item, JSON.stringify(item));
    case 'smallint':
    case 'integer':
    case 'real':
    case 'double':
      if (typeof item === 'number') return fromNumber(item, element);
      if (typeof item === 'string' && (element.typeFamily === 'real' || element.typeFamily === 'double')) return fromText(item, element, TEXT_MAPPING);
      return fail(`${show(item)} is not a number`);
    case 'bigint':
    case 'numeric':
      if (typeof item !== 'string') return fail(`${show(item)} is not a number`);
      return fromText(item, element, TEXT_MAPPING);
    case 'boolean':
      return typeof item === 'boolean' ? back(item) : fail(`${show(item)} is not true or false`);
    default:
      if (typeof item !== 'string') return fail(`${show(item)} is not a string`);
      return fromText(item, element, TEXT_MAPPING);
  }
}

/** Array elements are parsed as from a plain text field (no choices, no transforms). */
const TEXT_MAPPING: FieldMappingSpec = { sourceColumn: '', targetColumn: '', targetType: 'note', converterOptions: {}, transforms: [], direction: 'both' };
