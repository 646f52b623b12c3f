import { COMPUTED_FIELD_NAMES, MAX_TEXT_LENGTH, isMultiLineText } from './columns.ts';
import { parseIsoDateTime } from './dates.ts';
import { badRequest, conflict } from './errors.ts';
import type { ColumnRecord, ItemRecord, ListRecord } from './state.ts';
import { graphTimestamp, isRecord } from './util.ts';

/** SharePoint's lookup id of the "SharePoint App" principal that app-only writes are attributed to. */
export const APP_PRINCIPAL_LOOKUP_ID = '1073741822';

function invalid(name: string, expected: string): never {
  throw badRequest(`Invalid value for field '${name}': expected ${expected}.`);
}

function coerceValue(column: ColumnRecord, value: unknown): unknown {
  const name = column.name;
  if (value === null) return null;
  switch (column.type) {
    case 'text': {
      if (typeof value !== 'string') invalid(name, 'a string');
      const max = (column.facet.maxLength as number | undefined) ?? MAX_TEXT_LENGTH;
      if (!isMultiLineText(column) && value.length > max) {
        throw badRequest(`The value of field '${name}' exceeds its maximum length of ${max} characters.`);
      }
      return value;
    }
    case 'number':
    case 'currency': {
      if (typeof value !== 'number' || !Number.isFinite(value)) invalid(name, 'a number');
      const min = column.facet.minimum as number | undefined;
      const max = column.facet.maximum as number | undefined;
      if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
        throw badRequest(`The value of field '${name}' is outside the allowed range.`);
      }
      return value;
    }
    case 'boolean':
      if (typeof value !== 'boolean') invalid(name, 'a boolean');
      return value;
    case 'dateTime': {
      // A real calendar date in SharePoint's range: 2024-02-30 is refused, not rolled forward.
      const ms = typeof value === 'string' ? parseIsoDateTime(value) : undefined;
      if (ms === undefined) invalid(name, 'an ISO 8601 date and time string of a real date between 1900-01-01 and 8900-12-31');
      return graphTimestamp(ms);
    }
    case 'choice': {
      if (typeof value !== 'string') invalid(name, 'a string');
      const choices = (column.facet.choices as string[] | undefined) ?? [];
      if (column.facet.allowTextEntry !== true && !choices.includes(value)) {
        throw badRequest(`The value '${value}' is not one of the choices of field '${name}'.`);
      }
      return value;
    }
    case 'hyperlinkOrPicture': {
      if (!isRecord(value) || typeof value.Url !== 'string') invalid(name, 'an object with a Url');
      if (value.Description !== undefined && typeof value.Description !== 'string') invalid(name, 'a string Description');
      return { Description: value.Description ?? value.Url, Url: value.Url };
    }
  }
}

/**
 * Validates a client-supplied fieldValueSet against the list's columns: unknown names,
 * read-only columns, type mismatches, text length, and choices all answer 400 before
 * anything is written. `@`-prefixed keys are OData instance annotations (for example an
 * echoed `@odata.etag`) and are ignored.
 */
export function validateFields(list: ListRecord, input: unknown): Record<string, unknown> {
  if (input === undefined) return {};
  if (!isRecord(input)) throw badRequest('The fields value must be an object.');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith('@')) continue;
    const column = list.columns.find((c) => c.name === key);
    if (!column) {
      if (COMPUTED_FIELD_NAMES.has(key)) throw badRequest(`Field '${key}' is read-only.`);
      throw badRequest(`Field '${key}' is not recognized`);
    }
    if (column.readOnly) throw badRequest(`Field '${key}' is read-only.`);
    out[key] = coerceValue(column, value);
  }
  return out;
}

const uniqueKey = (column: ColumnRecord, value: unknown): string => (typeof value === 'string' ? value.toLowerCase() : JSON.stringify(value));

/**
 * Per list and unique column: value key -> item id. Built on first use from the items,
 * then kept current by the item writes in list-ops, so a uniqueness check is one lookup
 * instead of a scan of the list (which made bulk loads quadratic).
 */
const uniqueIndexes = new WeakMap<ListRecord, Map<string, Map<string, number>>>();

function uniqueIndex(list: ListRecord, column: ColumnRecord): Map<string, number> {
  let byColumn = uniqueIndexes.get(list);
  if (!byColumn) uniqueIndexes.set(list, (byColumn = new Map()));
  let index = byColumn.get(column.name);
  if (!index) {
    index = new Map();
    for (const item of list.items.values()) {
      const value = item.fields[column.name];
      if (value !== undefined && value !== null && value !== '') index.set(uniqueKey(column, value), item.id);
    }
    byColumn.set(column.name, index);
  }
  return index;
}

/** Adds (`present`) or removes an item's values in the unique indexes that exist. */
export function trackUniqueValues(list: ListRecord, item: ItemRecord, present: boolean): void {
  const byColumn = uniqueIndexes.get(list);
  if (!byColumn) return;
  for (const column of list.columns) {
    const index = column.enforceUniqueValues ? byColumn.get(column.name) : undefined;
    const value = item.fields[column.name];
    if (!index || value === undefined || value === null || value === '') continue;
    const key = uniqueKey(column, value);
    if (present) index.set(key, item.id);
    else if (index.get(key) === item.id) index.delete(key);
  }
}

/**
 * Enforces `enforceUniqueValues`: SharePoint compares text case-insensitively and answers
 * "duplicate values were found" (409) when another item already holds the value.
 */
export function checkUnique(list: ListRecord, values: Record<string, unknown>, selfId?: number): void {
  for (const column of list.columns) {
    if (!column.enforceUniqueValues) continue;
    const value = values[column.name];
    if (value === undefined || value === null || value === '') continue;
    const holder = uniqueIndex(list, column).get(uniqueKey(column, value));
    if (holder !== undefined && holder !== selfId && list.items.has(holder)) {
      throw conflict('The list item could not be added or updated because duplicate values were found in one or more fields in the list.');
    }
  }
}

export const itemEtag = (item: ItemRecord): string => `"${item.guid},${item.version}"`;

/** The fieldValueSet Graph returns: user columns (empty ones omitted) plus SharePoint's computed fields. */
export function renderFields(item: ItemRecord, select?: string[]): Record<string, unknown> {
  const title = item.fields.Title;
  const all: Record<string, unknown> = { '@odata.etag': itemEtag(item) };
  for (const [k, v] of Object.entries(item.fields)) if (v !== null && v !== undefined && v !== '') all[k] = v;
  Object.assign(all, {
    id: String(item.id),
    ContentType: 'Item',
    Modified: item.modifiedAt,
    Created: item.createdAt,
    AuthorLookupId: APP_PRINCIPAL_LOOKUP_ID,
    EditorLookupId: APP_PRINCIPAL_LOOKUP_ID,
    _UIVersionString: `${item.version}.0`,
    Attachments: false,
    Edit: '',
    ...(typeof title === 'string' && title ? { LinkTitleNoMenu: title, LinkTitle: title } : {}),
    ItemChildCount: '0',
    FolderChildCount: '0',
  });
  if (!select) return all;
  const picked: Record<string, unknown> = { '@odata.etag': all['@odata.etag'] };
  for (const name of select) if (name in all) picked[name] = all[name];
  return picked;
}

/** Reads a field for $filter evaluation: computed values are reachable under their column names. */
export function fieldForFilter(item: ItemRecord, name: string): unknown {
  switch (name) {
    case 'id':
    case 'ID':
      return item.id;
    case 'Created':
      return item.createdAt;
    case 'Modified':
      return item.modifiedAt;
    case 'ContentType':
      return 'Item';
    default:
      return item.fields[name] ?? null;
  }
}
