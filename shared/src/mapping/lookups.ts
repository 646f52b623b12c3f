import type { IntrospectedColumn, TypeFamily } from '../sources/types.ts';
import { canonicalKeyText } from './canonical.ts';
import { decodeSourceKey, encodeSourceKey } from './keys.ts';
import type { FieldMappingSpec } from './types.ts';

/*
 * Person and lookup columns hold item ids (LookupId) of another list: a person is an entry of
 * the site's hidden User Information List, a lookup an item of the looked-up list. The table
 * holds what a person means by them instead: an e-mail address or display name, the item id
 * itself, or the key of a row another SyncBridge definition syncs into the looked-up list (so
 * a foreign key becomes a lookup). Conversion stays synchronous: the caller loads these tables
 * for a batch first (activities/src/sync/lookups.ts), then converts.
 */

/** Users of a site (its User Information List). */
export interface SiteUsers {
  /** Lower-case e-mail -> lookup id. */
  byEmail: Map<string, number>;
  /** Display name -> lookup ids (several users may share one). */
  byName: Map<string, number[]>;
  byId: Map<number, { email: string | null; name: string | null }>;
}

/** Rows of another definition and their list items, as far as loaded. */
export interface SyncedItems {
  itemByKey: Map<string, number>;
  keyByItem: Map<number, string>;
}

export interface Lookups {
  /** The users of the site the values go to (or come from). */
  users?: SiteUsers;
  /** By definition id (converterOptions.lookupDefinitionId). */
  synced?: Map<string, SyncedItems>;
}

/** The item field a mapping writes and reads: `<Name>LookupId` for lookup and person columns (Graph's shape). */
export const fieldNameOf = (m: Pick<FieldMappingSpec, 'targetType' | 'targetColumn'>): string =>
  m.targetType === 'lookup' || m.targetType === 'person' ? `${m.targetColumn}LookupId` : m.targetColumn;

/**
 * A lookup or person column holding several items (`converterOptions.multipleValues`: SharePoint's
 * `lookup.allowMultipleValues`, `personOrGroup.allowMultipleSelection`); the table holds them as an
 * array (or a JSON array). Graph takes `<Name>LookupId` as a collection of ids, and returns the
 * column itself instead: `<Name>: [{ LookupId, LookupValue, Email? }]`, no `<Name>LookupId`.
 */
export const isMultiValued = (m: Pick<FieldMappingSpec, 'targetType' | 'converterOptions'>): boolean =>
  (m.targetType === 'lookup' || m.targetType === 'person') && m.converterOptions.multipleValues === true;

/** The item field to select when reading a mapping's values. */
export const readFieldOf = (m: FieldMappingSpec): string => (isMultiValued(m) ? m.targetColumn : fieldNameOf(m));

/**
 * A mapping's value in an item's fields as read from Graph: for a multi-valued lookup or person,
 * the ids of `<Name>: [{ LookupId }]` (or of `<Name>LookupId`, the shape written); null when empty.
 */
export function itemValueOf(fields: Record<string, unknown>, m: FieldMappingSpec): unknown {
  if (!isMultiValued(m)) return fields[fieldNameOf(m)];
  const written = fields[fieldNameOf(m)];
  const raw = written !== undefined ? written : fields[m.targetColumn];
  if (raw === undefined || raw === null) return raw;
  if (!Array.isArray(raw)) return raw;
  return raw.map((v) => (typeof v === 'object' && v !== null && 'LookupId' in v ? (v as { LookupId: unknown }).LookupId : v));
}

/** The elements of a multi-valued table value: an array, or JSON array text (json, jsonb columns). */
export function elementsOf(value: unknown, column: IntrospectedColumn): { ok: true; list: unknown[] } | { ok: false; reason: string } {
  let list: unknown = value;
  if (typeof list === 'string' && (column.typeFamily === 'json' || column.typeFamily === 'jsonb' || column.typeFamily === 'text')) {
    try {
      list = JSON.parse(list);
    } catch {
      return { ok: false, reason: 'the JSON value does not parse' };
    }
  }
  return Array.isArray(list) ? { ok: true, list } : { ok: false, reason: `a multi-valued column takes an array, not ${list === null ? 'null' : typeof list}` };
}

/** The column an element of a multi-valued column is converted as: the array's element type; a JSON element as text or integer. */
export function elementColumn(column: IntrospectedColumn, element: unknown): IntrospectedColumn {
  if (column.typeFamily === 'array') return { ...column, typeFamily: column.elementFamily ?? 'text', dataType: `element of ${column.dataType}` };
  return { ...column, typeFamily: typeof element === 'number' ? 'bigint' : 'text', dataType: `element of ${column.dataType}` };
}

/** A mapping whose values are resolved through another list (a person, or a lookup of a synced row). */
export const resolvesThroughLookups = (m: FieldMappingSpec): boolean =>
  m.targetType === 'person' || (m.targetType === 'lookup' && lookupDefinitionOf(m) !== null);

export const lookupDefinitionOf = (m: FieldMappingSpec): string | null =>
  typeof m.converterOptions.lookupDefinitionId === 'string' && m.converterOptions.lookupDefinitionId ? m.converterOptions.lookupDefinitionId : null;

export const personByOf = (m: FieldMappingSpec): 'email' | 'displayName' => (m.converterOptions.personBy === 'displayName' ? 'displayName' : 'email');

/** The other definition's key of a foreign-key value (one key column, of this column's family). */
export function syncedKeyOf(value: unknown, family: TypeFamily): string | null {
  try {
    const text = canonicalKeyText(value, family);
    return text === null ? null : encodeSourceKey([text], [family]);
  } catch {
    return null;
  }
}

/** The foreign-key text of another definition's key (null when it is not a one-column key). */
export function foreignKeyText(sourceKey: string): string | null {
  try {
    const parts = decodeSourceKey(sourceKey);
    return parts.length === 1 ? parts[0]! : null;
  } catch {
    return null;
  }
}

type Resolved = { ok: true; id: number } | { ok: false; reason: string };

/** The lookup id a table value stands for. */
export function lookupIdFor(value: unknown, column: IntrospectedColumn, m: FieldMappingSpec, lookups: Lookups | undefined): Resolved {
  if (m.targetType === 'person') {
    if (typeof value !== 'string') return { ok: false, reason: `a person is given by text (e-mail or display name), not ${typeof value}` };
    const users = lookups?.users;
    if (!users) return { ok: false, reason: `the users of the site were not loaded for ${m.targetColumn}` };
    const text = value.trim();
    if (personByOf(m) === 'email') {
      const id = users.byEmail.get(text.toLowerCase());
      return id === undefined ? { ok: false, reason: `no user with the e-mail ${JSON.stringify(text)} in the site's User Information List` } : { ok: true, id };
    }
    const ids = users.byName.get(text) ?? [];
    if (ids.length === 1) return { ok: true, id: ids[0]! };
    return {
      ok: false,
      reason: ids.length
        ? `${ids.length} users of the site are named ${JSON.stringify(text)}; map e-mails instead`
        : `no user named ${JSON.stringify(text)} in the site's User Information List`,
    };
  }
  const definitionId = lookupDefinitionOf(m);
  if (definitionId) {
    const key = syncedKeyOf(value, column.typeFamily);
    const id = key === null ? undefined : lookups?.synced?.get(definitionId)?.itemByKey.get(key);
    return id === undefined
      ? {
          ok: false,
          reason: `the row ${JSON.stringify(String(value))} of the looked-up definition has no list item (yet): it is pushed by that definition first`,
        }
      : { ok: true, id };
  }
  const n = typeof value === 'number' ? value : typeof value === 'bigint' || typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) return { ok: false, reason: `${JSON.stringify(String(value))} is not a list item id (a positive integer)` };
  return { ok: true, id: n };
}

/** What the table holds for a lookup id read from the list: the text (person), the foreign-key text, or the id itself. */
export function valueOfLookupId(id: number, m: FieldMappingSpec, lookups: Lookups | undefined): { ok: true; text: string } | { ok: false; reason: string } {
  if (m.targetType === 'person') {
    const user = lookups?.users?.byId.get(id);
    const text = user ? (personByOf(m) === 'email' ? user.email : user.name) : null;
    return text
      ? { ok: true, text }
      : { ok: false, reason: `the person ${id} in ${m.targetColumn} is not a user of the site with ${personByOf(m) === 'email' ? 'an e-mail' : 'a name'}` };
  }
  const definitionId = lookupDefinitionOf(m);
  if (definitionId) {
    const key = lookups?.synced?.get(definitionId)?.keyByItem.get(id);
    const text = key === undefined ? null : foreignKeyText(key);
    return text === null
      ? { ok: false, reason: `the item ${id} that ${m.targetColumn} looks up is not a row synced by the looked-up definition` }
      : { ok: true, text };
  }
  return { ok: true, text: String(id) };
}
