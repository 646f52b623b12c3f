import { randomBytes } from 'node:crypto';
import { userInformationColumns } from './columns.ts';
import { graphTimestamp, newGuid } from './util.ts';

/** The column type facets of Graph's columnDefinition that the emulator models. */
export type ColumnType = 'text' | 'number' | 'currency' | 'boolean' | 'dateTime' | 'choice' | 'hyperlinkOrPicture' | 'lookup' | 'personOrGroup';

export interface ColumnRecord {
  id: string;
  name: string;
  displayName: string;
  description: string;
  columnGroup: string;
  type: ColumnType;
  /** The facet object exactly as Graph returns it under the property named by `type`. */
  facet: Record<string, unknown>;
  indexed: boolean;
  enforceUniqueValues: boolean;
  hidden: boolean;
  required: boolean;
  readOnly: boolean;
}

export interface ItemRecord {
  id: number;
  /** Stable unique id; the first half of the SharePoint eTag `"{guid},{version}"`. */
  guid: string;
  version: number;
  createdAt: string;
  modifiedAt: string;
  createdBy: string;
  modifiedBy: string;
  /**
   * User column values keyed by internal column name; built-in computed fields are rendered on
   * read. Multi-choice values are string arrays; lookup and person values are the looked-up
   * item ids (a number, or an array of numbers when the column allows several).
   */
  fields: Record<string, unknown>;
  /** Sequence number of the list's change log entry that last touched the item. */
  changeSeq: number;
}

export interface Tombstone {
  id: number;
  seq: number;
  at: number;
}

export interface ListRecord {
  id: string;
  name: string;
  displayName: string;
  description: string;
  template: string;
  /** `list.hidden` as Graph reports it: only the site's User Information List is hidden. Absent in older state files. */
  hidden?: boolean;
  createdAt: string;
  modifiedAt: string;
  createdBy: string;
  version: number;
  columns: ColumnRecord[];
  items: Map<number, ItemRecord>;
  nextItemId: number;
  /** Monotonic change sequence: every create/update/delete takes the next value. */
  changeSeq: number;
  tombstones: Tombstone[];
  /** Bumped by the admin API to invalidate every delta token issued so far (they answer 410 Gone). */
  deltaEpoch: number;
}

export interface SiteRecord {
  hostname: string;
  siteCollectionId: string;
  webId: string;
  /** Server-relative path, e.g. `/sites/syncbridge`. */
  path: string;
  name: string;
  displayName: string;
  description: string;
  createdAt: string;
  modifiedAt: string;
  lists: ListRecord[];
}

export interface ClientRecord {
  clientId: string;
  clientSecret: string;
  displayName?: string;
  /** Application permissions granted to the app (the token's `roles` claim); DEFAULT_CLIENT_ROLES when unset. */
  roles?: string[];
}

export interface TenantRecord {
  tenantId: string;
  clients: ClientRecord[];
  sites: SiteRecord[];
}

export interface TlsMaterial {
  cert: string;
  key: string;
  notAfter: string;
}

export const siteId = (s: SiteRecord): string => `${s.hostname},${s.siteCollectionId},${s.webId}`;

export class Store {
  tenants = new Map<string, TenantRecord>();
  /** Secret that signs access tokens; persisted so issued tokens survive a restart. */
  tokenSigningKey = randomBytes(32).toString('base64url');
  tls: TlsMaterial | undefined;
  private listeners: Array<() => void> = [];

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Handlers call this after every mutation so persistence can save (debounced). */
  changed(): void {
    for (const l of this.listeners) l();
  }

  getTenant(tenantId: string): TenantRecord | undefined {
    return this.tenants.get(tenantId.toLowerCase());
  }

  upsertTenant(tenantId: string, clients: ClientRecord[]): TenantRecord {
    let tenant = this.getTenant(tenantId);
    if (!tenant) {
      tenant = { tenantId, clients: [], sites: [] };
      this.tenants.set(tenantId.toLowerCase(), tenant);
    }
    for (const client of clients) {
      const existing = tenant.clients.find((c) => c.clientId.toLowerCase() === client.clientId.toLowerCase());
      if (existing) Object.assign(existing, client);
      else tenant.clients.push({ ...client });
    }
    this.changed();
    return tenant;
  }

  findClient(tenantId: string, clientId: string): ClientRecord | undefined {
    return this.getTenant(tenantId)?.clients.find((c) => c.clientId.toLowerCase() === clientId.toLowerCase());
  }

  addSite(
    tenant: TenantRecord,
    input: { hostname: string; path: string; displayName?: string; description?: string; siteCollectionId?: string; webId?: string },
  ): SiteRecord {
    const path = normalizeSitePath(input.path);
    const existing = findSiteByPath(tenant, input.hostname, path);
    if (existing) return existing;
    const now = graphTimestamp();
    const name = path.split('/').filter(Boolean).pop() ?? '';
    const site: SiteRecord = {
      hostname: input.hostname.toLowerCase(),
      siteCollectionId: (input.siteCollectionId ?? newGuid()).toLowerCase(),
      webId: (input.webId ?? newGuid()).toLowerCase(),
      path,
      name,
      displayName: input.displayName ?? name,
      description: input.description ?? '',
      createdAt: now,
      modifiedAt: now,
      lists: [newUserInformationList()],
    };
    tenant.sites.push(site);
    this.changed();
    return site;
  }
}

export function normalizeSitePath(path: string): string {
  const trimmed = '/' + path.split('/').filter(Boolean).join('/');
  return trimmed.toLowerCase() === '/' ? '/' : trimmed;
}

export function findSiteByPath(tenant: TenantRecord, hostname: string, path: string): SiteRecord | undefined {
  const p = normalizeSitePath(path).toLowerCase();
  return tenant.sites.find((s) => s.hostname === hostname.toLowerCase() && s.path.toLowerCase() === p);
}

export function newList(input: { displayName: string; description?: string; template: string; createdBy: string }): ListRecord {
  const now = graphTimestamp();
  return {
    id: newGuid(),
    name: input.displayName.replace(/[^A-Za-z0-9_-]/g, ''),
    displayName: input.displayName,
    description: input.description ?? '',
    template: input.template,
    createdAt: now,
    modifiedAt: now,
    createdBy: input.createdBy,
    version: 1,
    columns: [],
    items: new Map(),
    nextItemId: 1,
    changeSeq: 0,
    tombstones: [],
    deltaEpoch: 0,
  };
}

/**
 * SharePoint's hidden "User Information List" (server-relative URL `_catalogs/users`, list
 * template 112 `UserInformation`): one item per site user, whose item id is the lookup id
 * that person or group columns store. Every site has one.
 */
export const USER_INFORMATION_LIST_TITLE = 'User Information List';
export const USER_INFORMATION_LIST_TEMPLATE = 'userInformation';
/** SharePoint's lookup id of the "SharePoint App" principal that app-only writes are attributed to. */
export const APP_PRINCIPAL_USER_ID = 1073741822;

export const isUserInformationList = (list: ListRecord): boolean => list.template === USER_INFORMATION_LIST_TEMPLATE;

export function userInformationList(site: SiteRecord): ListRecord | undefined {
  return site.lists.find(isUserInformationList);
}

export function newUserInformationList(): ListRecord {
  const list = newList({ displayName: USER_INFORMATION_LIST_TITLE, template: USER_INFORMATION_LIST_TEMPLATE, createdBy: 'SharePoint' });
  list.name = 'users';
  list.hidden = true;
  list.columns = userInformationColumns();
  const now = list.createdAt;
  list.items.set(APP_PRINCIPAL_USER_ID, {
    id: APP_PRINCIPAL_USER_ID,
    guid: newGuid(),
    version: 1,
    createdAt: now,
    modifiedAt: now,
    createdBy: 'SharePoint',
    modifiedBy: 'SharePoint',
    fields: { Title: 'SharePoint App', UserName: 'app@sharepoint' },
    changeSeq: ++list.changeSeq,
  });
  return list;
}

/** Gives a site loaded from an older state file its User Information List. */
export function ensureUserInformationList(site: SiteRecord): ListRecord {
  const existing = userInformationList(site);
  if (existing) return existing;
  const list = newUserInformationList();
  site.lists.unshift(list);
  return list;
}
