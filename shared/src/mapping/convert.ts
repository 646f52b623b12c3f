import type { IntrospectedColumn, IntrospectedTable } from '../sources/types.ts';
import { toBoolean, toDateTime, toHyperlink, toNumber, toText, type Converted } from './convert-values.ts';
import { ALLOWED_TARGETS, CHOICE_MAX_LENGTH, NOTE_MAX_LENGTH, TEXT_MAX_LENGTH, URL_MAX_LENGTH } from './rules.ts';
import { elementColumn, elementsOf, fieldNameOf, isMultiValued, lookupIdFor, type Lookups } from './lookups.ts';
import { applyTransforms } from './transforms.ts';
import type { ConvertResult, FieldMappingSpec } from './types.ts';

// XML 1.0 cannot carry these; SharePoint refuses text containing them.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** The effective maximum length of a text-like target. */
export function textLimitFor(mapping: FieldMappingSpec, column: IntrospectedColumn): number {
  const explicit = mapping.converterOptions.maxLength;
  if (typeof explicit === 'number' && Number.isInteger(explicit) && explicit > 0) return explicit;
  if (mapping.targetType === 'note') return NOTE_MAX_LENGTH;
  if (mapping.targetType === 'choice' || mapping.targetType === 'multiChoice') return CHOICE_MAX_LENGTH;
  if (mapping.targetType === 'hyperlink') return URL_MAX_LENGTH;
  return column.typeFamily === 'text' && column.maxLength !== null && column.maxLength <= TEXT_MAX_LENGTH ? column.maxLength : TEXT_MAX_LENGTH;
}

function textual(value: unknown, column: IntrospectedColumn, mapping: FieldMappingSpec): Converted<string> {
  const text = toText(value, column, mapping.converterOptions);
  if (!text.ok) return text;
  let out: string;
  try {
    out = applyTransforms(text.value, mapping.transforms);
  } catch (err) {
    return { ok: false, reason: `transform failed: ${(err as Error).message}` };
  }
  const limit = textLimitFor(mapping, column);
  if (out.length > limit)
    return { ok: false, reason: `value is ${out.length} characters long, the ${mapping.targetType} column ${mapping.targetColumn} allows ${limit}` };
  const bad = FORBIDDEN_CONTROL.exec(out);
  if (bad)
    return {
      ok: false,
      reason: `value contains the control character U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}, which SharePoint cannot store`,
    };
  return { ok: true, value: out };
}

/** Transforms apply to string source values before they are parsed into a non-text target. */
function preTransformed(value: unknown, mapping: FieldMappingSpec): unknown {
  return typeof value === 'string' && mapping.transforms.length ? applyTransforms(value, mapping.transforms) : value;
}

/**
 * Converts one source value for one mapping. null stays null (SharePoint clears the field);
 * undefined means the column was not read, which is a caller bug surfaced as a failure.
 */
export function convertValue(value: unknown, column: IntrospectedColumn, mapping: FieldMappingSpec, lookups?: Lookups): Converted {
  if (value === undefined) return { ok: false, reason: 'value was not read from the source (missing from the row)' };
  if (value === null) return { ok: true, value: null };
  if (!ALLOWED_TARGETS[column.typeFamily].includes(mapping.targetType)) {
    return { ok: false, reason: `a ${column.dataType} column cannot convert to a SharePoint ${mapping.targetType} column` };
  }
  switch (mapping.targetType) {
    case 'text':
    case 'note':
      return textual(value, column, mapping);
    case 'choice': {
      const text = textual(value, column, mapping);
      if (!text.ok) return text;
      const choices = choicesFor(mapping, column);
      if (mapping.converterOptions.allowTextEntry !== true && !choices.includes(text.value)) {
        return { ok: false, reason: `${JSON.stringify(text.value)} is not one of the choices of ${mapping.targetColumn}` };
      }
      return text;
    }
    case 'hyperlink': {
      const text = textual(value, column, mapping);
      return text.ok ? toHyperlink(text.value, mapping.converterOptions) : text;
    }
    case 'number':
    case 'currency':
      return toNumber(preTransformed(value, mapping), column, mapping.converterOptions);
    case 'boolean':
      return toBoolean(preTransformed(value, mapping));
    case 'dateTime':
      return toDateTime(preTransformed(value, mapping));
    case 'multiChoice':
      return toChoices(value, column, mapping);
    case 'lookup':
    case 'person': {
      if (isMultiValued(mapping)) return toLookupIds(value, column, mapping, lookups);
      const resolved = lookupIdFor(preTransformed(value, mapping), column, mapping, lookups);
      return resolved.ok ? { ok: true, value: resolved.id } : resolved;
    }
  }
}

/** A multi-valued lookup or person field: the lookup id of each element, none twice; an empty array is an empty field. */
function toLookupIds(value: unknown, column: IntrospectedColumn, mapping: FieldMappingSpec, lookups?: Lookups): Converted {
  const elements = elementsOf(value, column);
  if (!elements.ok) return elements;
  if (elements.list.length === 0) return { ok: true, value: null };
  const ids: number[] = [];
  for (const element of elements.list) {
    if (element === null || element === undefined) return { ok: false, reason: `the array holds a null: each element names one ${mapping.targetType}` };
    const resolved = lookupIdFor(preTransformed(element, mapping), elementColumn(column, element), mapping, lookups);
    if (!resolved.ok) return resolved;
    if (ids.includes(resolved.id))
      return { ok: false, reason: `${JSON.stringify(element)} names the same ${mapping.targetType} as another element; the field holds each once` };
    ids.push(resolved.id);
  }
  return { ok: true, value: ids };
}

/** A multi-choice field: the array's (or JSON array's) strings, each a choice, none twice; an empty array is an empty field. */
function toChoices(value: unknown, column: IntrospectedColumn, mapping: FieldMappingSpec): Converted {
  let list: unknown = value;
  if (typeof list === 'string' && (column.typeFamily === 'json' || column.typeFamily === 'jsonb')) {
    try {
      list = JSON.parse(list);
    } catch {
      return { ok: false, reason: 'the JSON value does not parse' };
    }
  }
  if (!Array.isArray(list)) return { ok: false, reason: `a multi-choice column takes an array of texts, not ${typeof list}` };
  if (list.length === 0) return { ok: true, value: null };
  const choices = choicesFor(mapping, column);
  const free = mapping.converterOptions.allowTextEntry === true;
  const seen = new Set<string>();
  for (const c of list) {
    if (typeof c !== 'string') return { ok: false, reason: `a multi-choice column takes texts; the array holds ${c === null ? 'null' : typeof c}` };
    if (c.length > CHOICE_MAX_LENGTH)
      return { ok: false, reason: `the choice ${JSON.stringify(c.slice(0, 40))}… is longer than ${CHOICE_MAX_LENGTH} characters` };
    if (FORBIDDEN_CONTROL.test(c)) return { ok: false, reason: `the choice ${JSON.stringify(c)} contains a control character SharePoint cannot store` };
    if (!free && !choices.includes(c)) return { ok: false, reason: `${JSON.stringify(c)} is not one of the choices of ${mapping.targetColumn}` };
    if (seen.has(c)) return { ok: false, reason: `${JSON.stringify(c)} is in the array twice; a multi-choice field holds each choice once` };
    seen.add(c);
  }
  return { ok: true, value: list as string[] };
}

/** Choices of a choice column: `converterOptions.choices`, else the enum's labels (an enum array's, for multi-choice). */
export function choicesFor(mapping: FieldMappingSpec, column: IntrospectedColumn | undefined): string[] {
  const explicit = mapping.converterOptions.choices;
  if (Array.isArray(explicit)) return explicit.filter((c): c is string => typeof c === 'string');
  return column?.enumValues ?? [];
}

/**
 * Converts a source row into a Graph `fields` object for the push mappings (ingress-only
 * mappings are skipped). The first value that cannot convert fails the whole row with the
 * column and a readable reason: the caller quarantines the row and goes on with the batch.
 */
export function convertRow(row: Record<string, unknown>, mappings: FieldMappingSpec[], table: IntrospectedTable, lookups?: Lookups): ConvertResult {
  const columns = new Map(table.columns.map((c) => [c.name, c]));
  const fields: Record<string, unknown> = {};
  for (const mapping of mappings) {
    if (mapping.direction === 'ingress') continue;
    const column = columns.get(mapping.sourceColumn);
    if (!column) return { ok: false, column: mapping.sourceColumn, reason: `column ${mapping.sourceColumn} no longer exists in ${table.schema}.${table.name}` };
    let result: Converted;
    try {
      result = convertValue(row[mapping.sourceColumn], column, mapping, lookups);
    } catch (err) {
      // A broken transform (e.g. an invalid regex saved without validation) must not fail the batch.
      result = { ok: false, reason: (err as Error).message };
    }
    if (!result.ok) return { ok: false, column: mapping.sourceColumn, reason: `${mapping.sourceColumn}: ${result.reason}` };
    fields[fieldNameOf(mapping)] = result.value;
    // Graph's annotation of a collection value (a multi-choice field, the ids of a multi-valued lookup or person).
    if (mapping.targetType === 'multiChoice' && result.value !== null) fields[`${mapping.targetColumn}@odata.type`] = 'Collection(Edm.String)';
    if (isMultiValued(mapping) && result.value !== null) fields[`${fieldNameOf(mapping)}@odata.type`] = 'Collection(Edm.Int32)';
  }
  return { ok: true, fields };
}
