import { and, eq, inArray } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { keyIn } from '@syncbridge/shared/domain';
import {
  elementColumn,
  elementsOf,
  isMultiValued,
  itemValueOf,
  lookupDefinitionOf,
  personByOf,
  syncedKeyOf,
  type FieldMappingSpec,
  type Lookups,
  type SiteUsers,
  type SyncedItems,
} from '@syncbridge/shared/mapping';
import type { IntrospectedTable, TypeFamily } from '@syncbridge/shared/sources';
import type { ActivityDeps } from '../deps.ts';
import type { TargetList } from '../push/apply.ts';
import { invalid } from './definition.ts';

/*
 * The tables person and lookup mappings convert through (shared/src/mapping/lookups.ts), loaded
 * per batch before converting: the users of each target's site (its User Information List, read
 * whole, one request per 500 users, kept a minute per worker), and for lookups of a synced row
 * the other definition's ledger entries the batch names (one query per batch).
 */

/** The hidden list of a site's users; Graph addresses a list by its title too. */
export const USER_INFORMATION_LIST = 'User Information List';
const USERS_TTL_MS = 60_000;
/** A miss on users read longer ago than this reads them again (the person may have been added since). */
const USERS_REFRESH_ON_MISS_MS = 5_000;
const USERS_PAGE = 500;

const usersCache = new Map<string, { at: number; users: SiteUsers }>();

async function readSiteUsers(list: TargetList): Promise<SiteUsers> {
  const info = await list.graph.getList(list.siteId, USER_INFORMATION_LIST);
  if (!info?.id) throw invalid(`the site ${list.siteId} shows the app no "${USER_INFORMATION_LIST}": person columns cannot be resolved there`);
  const users: SiteUsers = { byEmail: new Map(), byName: new Map(), byId: new Map() };
  for await (const page of list.graph.listItems(list.siteId, info.id, { fields: ['EMail', 'Title'], top: USERS_PAGE })) {
    for (const item of page) {
      const id = Number(item.id);
      if (!Number.isSafeInteger(id)) continue;
      const f = (item.fields ?? {}) as Record<string, unknown>;
      const email = typeof f.EMail === 'string' && f.EMail ? f.EMail : null;
      const name = typeof f.Title === 'string' && f.Title ? f.Title : null;
      users.byId.set(id, { email, name });
      if (email) users.byEmail.set(email.toLowerCase(), id);
      if (name) users.byName.set(name, [...(users.byName.get(name) ?? []), id]);
    }
  }
  return users;
}

async function siteUsers(list: TargetList, fresh: boolean): Promise<{ at: number; users: SiteUsers }> {
  const key = `${list.id}|${list.siteId}`;
  const cached = usersCache.get(key);
  if (cached && !fresh && Date.now() - cached.at < USERS_TTL_MS) return cached;
  const entry = { at: Date.now(), users: await readSiteUsers(list) };
  usersCache.set(key, entry);
  return entry;
}

/** Loads what a definition's person and lookup mappings need, batch by batch, and hands out the tables per target. */
export class LookupLoader {
  private readonly persons: FieldMappingSpec[];
  private readonly syncedMappings: FieldMappingSpec[];
  private readonly users = new Map<string, { at: number; users: SiteUsers }>();
  private readonly synced = new Map<string, SyncedItems>();

  constructor(
    private readonly deps: ActivityDeps,
    mappings: FieldMappingSpec[],
    private readonly lists: Map<string, TargetList>,
  ) {
    this.persons = mappings.filter((m) => m.targetType === 'person');
    this.syncedMappings = mappings.filter((m) => m.targetType === 'lookup' && lookupDefinitionOf(m) !== null);
    for (const m of this.syncedMappings) this.synced.set(lookupDefinitionOf(m)!, { itemByKey: new Map(), keyByItem: new Map() });
  }

  get needed(): boolean {
    return this.persons.length > 0 || this.syncedMappings.length > 0;
  }

  /** The tables for values going to (or coming from) this target's list. */
  forTarget(targetId: string): Lookups | undefined {
    if (!this.needed) return undefined;
    return { ...(this.users.has(targetId) ? { users: this.users.get(targetId)!.users } : {}), synced: this.synced };
  }

  /** Row values about to convert: their people's sites and their foreign keys' list items. */
  async addRows(rows: Array<Record<string, unknown>>, table: IntrospectedTable, targetIds: string[] = [...this.lists.keys()]): Promise<void> {
    if (!this.needed || rows.length === 0) return;
    if (this.persons.length) {
      for (const targetId of targetIds) {
        const list = this.lists.get(targetId);
        if (!list) continue;
        let entry = this.users.get(targetId) ?? (await siteUsers(list, false));
        const missing = rows.some((r) => this.persons.some((m) => valuesOf(r[m.sourceColumn], table, m).some((v) => this.unknownPerson(entry.users, m, v))));
        if (missing && Date.now() - entry.at > USERS_REFRESH_ON_MISS_MS) entry = await siteUsers(list, true);
        this.users.set(targetId, entry);
      }
    }
    for (const m of this.syncedMappings) {
      const family = table.columns.find((c) => c.name === m.sourceColumn)?.typeFamily ?? 'other';
      const items = this.synced.get(lookupDefinitionOf(m)!)!;
      const keys = [
        ...new Set(
          rows
            .flatMap((r) => valuesOf(r[m.sourceColumn], table, m))
            .map((v) => syncedKeyOf(v, family === 'array' || family === 'json' || family === 'jsonb' ? elementFamilyOf(table, m, v) : family))
            .filter((k): k is string => k !== null && !items.itemByKey.has(k)),
        ),
      ];
      await this.loadSynced(lookupDefinitionOf(m)!, { keys });
    }
  }

  /** List items read back: the users of their site, and the synced rows their lookups name. */
  async addItems(targetId: string, fields: Array<Record<string, unknown>>): Promise<void> {
    if (!this.needed || fields.length === 0) return;
    const list = this.lists.get(targetId);
    if (this.persons.length && list && !this.users.has(targetId)) this.users.set(targetId, await siteUsers(list, false));
    if (this.persons.length && list) {
      const entry = this.users.get(targetId)!;
      const unknown = fields.some((f) => this.persons.some((m) => idsOf(f, m).some((id) => this.unknownId(entry.users, id))));
      if (unknown && Date.now() - entry.at > USERS_REFRESH_ON_MISS_MS) this.users.set(targetId, await siteUsers(list, true));
    }
    for (const m of this.syncedMappings) {
      const items = this.synced.get(lookupDefinitionOf(m)!)!;
      const ids = [
        ...new Set(
          fields
            .flatMap((f) => idsOf(f, m))
            .map(Number)
            .filter((id) => Number.isSafeInteger(id) && id > 0 && !items.keyByItem.has(id)),
        ),
      ];
      await this.loadSynced(lookupDefinitionOf(m)!, { ids });
    }
  }

  private unknownPerson(users: SiteUsers, m: FieldMappingSpec, value: unknown): boolean {
    if (typeof value !== 'string' || value.trim() === '') return false;
    return personByOf(m) === 'email' ? !users.byEmail.has(value.trim().toLowerCase()) : !users.byName.has(value.trim());
  }

  private unknownId(users: SiteUsers, value: unknown): boolean {
    const id = Number(value);
    return Number.isSafeInteger(id) && id > 0 && !users.byId.has(id);
  }

  /** The other definition's ledger entries for these keys or list item ids (one query each). */
  private async loadSynced(definitionId: string, by: { keys?: string[]; ids?: number[] }): Promise<void> {
    const L = schema.syncLedger;
    const items = this.synced.get(definitionId)!;
    const where = by.keys?.length
      ? keyIn(by.keys)
      : by.ids?.length
        ? inArray(
            L.listItemId,
            by.ids.map((id) => String(id)),
          )
        : null;
    if (!where) return;
    const rows = await this.deps.store.db
      .select({ sourceKey: L.sourceKey, listItemId: L.listItemId })
      .from(L)
      .where(and(eq(L.definitionId, definitionId), where));
    for (const r of rows) {
      const id = Number(r.listItemId);
      if (!Number.isSafeInteger(id)) continue;
      items.itemByKey.set(r.sourceKey, id);
      items.keyByItem.set(id, r.sourceKey);
    }
  }
}

/** A row's value of a mapping as the values it names: one, or each element of a multi-valued one. */
function valuesOf(value: unknown, table: IntrospectedTable, m: FieldMappingSpec): unknown[] {
  if (value === null || value === undefined) return [];
  if (!isMultiValued(m)) return [value];
  const column = table.columns.find((c) => c.name === m.sourceColumn);
  const elements = column ? elementsOf(value, column) : null;
  return elements?.ok ? elements.list.filter((v) => v !== null && v !== undefined) : [];
}

/** The family a synced key of one element is encoded with (the array's element type; a JSON element's own). */
function elementFamilyOf(table: IntrospectedTable, m: FieldMappingSpec, element: unknown): TypeFamily {
  const column = table.columns.find((c) => c.name === m.sourceColumn);
  return column ? elementColumn(column, element).typeFamily : 'other';
}

/** The lookup ids an item's field holds (several for a multi-valued column). */
function idsOf(fields: Record<string, unknown>, m: FieldMappingSpec): unknown[] {
  const v = itemValueOf(fields, m);
  return Array.isArray(v) ? v : v === null || v === undefined ? [] : [v];
}
