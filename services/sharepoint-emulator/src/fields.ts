import { COMPUTED_FIELD_NAMES, MAX_TEXT_LENGTH, isLookupColumn, isMultiLineText, isMultiValue, lookupIdField } from './columns.ts';
import { parseIsoDateTime } from './dates.ts';
import { badRequest, conflict } from './errors.ts';
import { APP_PRINCIPAL_USER_ID, userInformationList, type ColumnRecord, type ItemRecord, type ListRecord, type SiteRecord } from './state.ts';
import { graphTimestamp, isRecord } from './util.ts';

/** SharePoint's lookup id of the "SharePoint App" principal that app-only writes are attributed to. */
export const APP_PRINCIPAL_LOOKUP_ID = String(APP_PRINCIPAL_USER_ID);

/** The OData type annotation of a multi-valued field in a fieldValueSet (`"Tags@odata.type": "Collection(Edm.String)"`). */
export const STRING_COLLECTION = 'Collection(Edm.String)';
export const INT32_COLLECTION = 'Collection(Edm.Int32)';
const ODATA_TYPE = '@odata.type';
/** "fieldValueSet resource type": "You may request up to 12 lookup fields in a single query". */
export const MAX_SELECTED_LOOKUP_FIELDS = 12;

function invalid(name: string, expected: string): never {
  throw badRequest(`Invalid value for field '${name}': expected ${expected}.`);
}

/** The list a lookup or person column takes its values from: the lookup list, or the site's User Information List. */
export function lookupList(site: SiteRecord, column: ColumnRecord): ListRecord | undefined {
  if (column.type === 'personOrGroup') return userInformationList(site);
  const listId = column.facet.listId as string | undefined;
  return site.lists.find((l) => l.id === listId);
}

/** A lookup id as clients send it: a positive integer, or its decimal string. */
function lookupIdOf(key: string, raw: unknown): number {
  const id = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) invalid(key, 'a lookup id (a positive integer, or its decimal string)');
  return id;
}

function checkLookupTarget(site: SiteRecord, column: ColumnRecord, key: string, id: number): void {
  const target = lookupList(site, column);
  if (column.type === 'personOrGroup') {
    if (!target?.items.has(id)) throw badRequest(`Invalid value for field '${key}': ${id} is not the lookup id of a user in the site's User Information List.`);
    return;
  }
  if (!target) throw badRequest(`Invalid value for field '${key}': its lookup list '${String(column.facet.listId)}' no longer exists.`);
  if (!target.items.has(id)) throw badRequest(`Invalid value for field '${key}': item ${id} does not exist in the lookup list '${target.displayName}'.`);
}

/** `<name>LookupId` writes: one id, or (multi-valued columns) an array of ids; each must be an item of the lookup list. */
function coerceLookup(site: SiteRecord, column: ColumnRecord, key: string, value: unknown): unknown {
  if (value === null) return null;
  if (isMultiValue(column)) {
    if (!Array.isArray(value)) {
      throw badRequest(
        `Invalid value for field '${key}': column '${column.name}' allows multiple values, so expected an array of lookup ids (with '${key}${ODATA_TYPE}': '${INT32_COLLECTION}').`,
      );
    }
    const ids = value.map((raw) => lookupIdOf(key, raw));
    if (new Set(ids).size !== ids.length) throw badRequest(`Invalid value for field '${key}': a lookup id appears more than once.`);
    for (const id of ids) checkLookupTarget(site, column, key, id);
    return ids.length === 0 ? null : ids;
  }
  if (Array.isArray(value))
    throw badRequest(`Invalid value for field '${key}': column '${column.name}' holds a single value, so expected one lookup id, not an array.`);
  const id = lookupIdOf(key, value);
  checkLookupTarget(site, column, key, id);
  return id;
}

function coerceChoice(column: ColumnRecord, value: string, key: string): string {
  const choices = (column.facet.choices as string[] | undefined) ?? [];
  if (column.facet.allowTextEntry !== true && !choices.includes(value)) {
    throw badRequest(`The value '${value}' is not one of the choices of field '${key}'.`);
  }
  if (value.length > MAX_TEXT_LENGTH) throw badRequest(`The value of field '${key}' exceeds its maximum length of ${MAX_TEXT_LENGTH} characters.`);
  return value;
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
      if (isMultiValue(column)) {
        if (!Array.isArray(value)) {
          throw badRequest(
            `Invalid value for field '${name}': it allows multiple choices, so expected an array of strings (with '${name}${ODATA_TYPE}': '${STRING_COLLECTION}').`,
          );
        }
        if (!value.every((v): v is string => typeof v === 'string')) invalid(name, 'an array of strings');
        if (new Set(value).size !== value.length) throw badRequest(`Invalid value for field '${name}': a choice appears more than once.`);
        const picked = value.map((v) => coerceChoice(column, v, name));
        return picked.length === 0 ? null : picked;
      }
      if (Array.isArray(value)) throw badRequest(`Invalid value for field '${name}': it holds a single choice, so expected a string, not an array.`);
      if (typeof value !== 'string') invalid(name, 'a string');
      return coerceChoice(column, value, name);
    }
    case 'hyperlinkOrPicture': {
      if (!isRecord(value) || typeof value.Url !== 'string') invalid(name, 'an object with a Url');
      if (value.Description !== undefined && typeof value.Description !== 'string') invalid(name, 'a string Description');
      return { Description: value.Description ?? value.Url, Url: value.Url };
    }
    case 'lookup':
    case 'personOrGroup':
      // Written through `<name>LookupId` (coerceLookup); validateFields never gets here.
      throw lookupWrittenDirectly(column);
  }
}

const lookupWrittenDirectly = (column: ColumnRecord) =>
  badRequest(
    `Field '${column.name}' is a ${column.type === 'lookup' ? 'lookup' : 'person or group'} field and cannot be written directly: write the lookup id${isMultiValue(column) ? 's' : ''} to '${lookupIdField(column.name)}'.`,
  );

/** A fieldValueSet key: a column by name, or a lookup column's `<name>LookupId`. */
function resolveField(list: ListRecord, key: string): { column: ColumnRecord; viaLookupId: boolean } | undefined {
  const exact = list.columns.find((c) => c.name === key);
  if (exact) return { column: exact, viaLookupId: false };
  if (key.endsWith('LookupId')) {
    const base = key.slice(0, -'LookupId'.length);
    const column = list.columns.find((c) => c.name === base && isLookupColumn(c));
    if (column) return { column, viaLookupId: true };
  }
  return undefined;
}

function unknownField(key: string): never {
  if (COMPUTED_FIELD_NAMES.has(key)) throw badRequest(`Field '${key}' is read-only.`);
  throw badRequest(`Field '${key}' is not recognized`);
}

/**
 * `<field>@odata.type` annotations: a multi-valued field may declare its collection type
 * (`Collection(Edm.String)` for multi-choice, `Collection(Edm.Int32)` for lookup ids; Graph
 * clients also send lookup ids as `Collection(Edm.String)`). A collection type on a
 * single-valued field, or another type on a multi-valued one, answers 400.
 */
function checkTypeAnnotation(list: ListRecord, property: string, annotation: string, value: unknown): void {
  if (annotation !== 'odata.type') throw badRequest(`The instance annotation '${property}@${annotation}' is not supported.`);
  const target = resolveField(list, property);
  if (!target) unknownField(property);
  const { column, viaLookupId } = target;
  if (isLookupColumn(column) && !viaLookupId) throw lookupWrittenDirectly(column);
  if (typeof value !== 'string') throw badRequest(`The annotation '${property}${ODATA_TYPE}' must be a string.`);
  const multi = isMultiValue(column);
  const allowed = isLookupColumn(column) ? [INT32_COLLECTION, STRING_COLLECTION] : [STRING_COLLECTION];
  if (multi && !allowed.includes(value)) {
    throw badRequest(
      `The annotation '${property}${ODATA_TYPE}' must be ${allowed.map((a) => `'${a}'`).join(' or ')}: column '${column.name}' holds multiple values.`,
    );
  }
  if (!multi && /^Collection\(/.test(value)) {
    throw badRequest(`Field '${property}' holds a single value and cannot be typed '${value}'.`);
  }
}

/**
 * Validates a client-supplied fieldValueSet against the list's columns: unknown names,
 * read-only columns, type mismatches, text length, and choices all answer 400 before
 * anything is written. `@`-prefixed keys are OData instance annotations (for example an
 * echoed `@odata.etag`) and are ignored; `<field>@odata.type` property annotations are
 * checked against the field. Lookup and person columns are written through
 * `<name>LookupId` and each id must name an item of the lookup list. Answers the values
 * keyed by column name.
 */
export function validateFields(site: SiteRecord, list: ListRecord, input: unknown): Record<string, unknown> {
  if (input === undefined) return {};
  if (!isRecord(input)) throw badRequest('The fields value must be an object.');
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key.startsWith('@')) continue;
    const at = key.indexOf('@');
    if (at > 0) {
      checkTypeAnnotation(list, key.slice(0, at), key.slice(at + 1), value);
      continue;
    }
    const target = resolveField(list, key);
    if (!target) unknownField(key);
    const { column, viaLookupId } = target;
    if (column.readOnly) throw badRequest(`Field '${key}' is read-only.`);
    if (isLookupColumn(column)) {
      if (!viaLookupId) throw lookupWrittenDirectly(column);
      out[column.name] = coerceLookup(site, column, key, value);
    } else out[column.name] = coerceValue(column, value);
  }
  return out;
}

/** Refuses a fieldValueSet `$select` asking for more lookup values than SharePoint serves in one query. */
export function checkFieldsSelect(list: ListRecord, select: string[] | undefined): void {
  if (!select) return;
  const lookups = new Set(select.filter((name) => list.columns.some((c) => c.name === name && isLookupColumn(c))));
  if (lookups.size > MAX_SELECTED_LOOKUP_FIELDS) {
    throw badRequest(
      `The query selects ${lookups.size} lookup fields; at most ${MAX_SELECTED_LOOKUP_FIELDS} lookup fields can be requested in a single query.`,
    );
  }
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

/** What a lookup shows for an id: the looked-up item's `columnName` value as text ('' when the item is gone). */
function lookupValueOf(site: SiteRecord, column: ColumnRecord, id: number): string {
  const item = lookupList(site, column)?.items.get(id);
  if (!item) return '';
  const source = column.type === 'personOrGroup' ? 'Title' : (column.facet.columnName as string);
  const value = source === 'ID' ? item.id : item.fields[source];
  return value === undefined || value === null ? '' : String(value as string | number);
}

/**
 * One entry of a multi-valued lookup as Graph returns it: `{ LookupId, LookupValue }`, and
 * for people also `Email`.
 */
function lookupEntry(site: SiteRecord, column: ColumnRecord, id: number): Record<string, unknown> {
  const entry: Record<string, unknown> = { LookupId: id, LookupValue: lookupValueOf(site, column, id) };
  if (column.type === 'personOrGroup') {
    const email = lookupList(site, column)?.items.get(id)?.fields.EMail;
    entry.Email = typeof email === 'string' ? email : '';
  }
  return entry;
}

/**
 * The fieldValueSet Graph returns: user columns (empty ones omitted) plus SharePoint's
 * computed fields. Multi-choice values carry `<name>@odata.type: Collection(Edm.String)`.
 * A single-valued lookup or person column is returned as `<name>LookupId` (the id as a
 * string) and its looked-up value `<name>` only when `select` asks for it ("fieldValueSet
 * resource type"); a multi-valued one as `<name>: [{ LookupId, LookupValue }]` (people add
 * `Email`).
 */
export function renderFields(site: SiteRecord, list: ListRecord, item: ItemRecord, select?: string[]): Record<string, unknown> {
  const title = item.fields.Title;
  const columns = new Map(list.columns.map((c) => [c.name, c]));
  const all: Record<string, unknown> = { '@odata.etag': itemEtag(item) };
  for (const [k, v] of Object.entries(item.fields)) {
    if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    const column = columns.get(k);
    if (column && isLookupColumn(column)) {
      if (Array.isArray(v)) all[k] = (v as number[]).map((id) => lookupEntry(site, column, id));
      else all[lookupIdField(k)] = String(v as number);
    } else if (Array.isArray(v)) {
      all[`${k}${ODATA_TYPE}`] = STRING_COLLECTION;
      all[k] = [...(v as string[])];
    } else all[k] = v;
  }
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
  for (const name of select) {
    if (name in all) {
      if (`${name}${ODATA_TYPE}` in all) picked[`${name}${ODATA_TYPE}`] = all[`${name}${ODATA_TYPE}`];
      picked[name] = all[name];
      continue;
    }
    // A selected single-valued lookup returns its looked-up value.
    const column = columns.get(name);
    const id = item.fields[name];
    if (column && isLookupColumn(column) && typeof id === 'number') picked[name] = lookupValueOf(site, column, id);
  }
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
