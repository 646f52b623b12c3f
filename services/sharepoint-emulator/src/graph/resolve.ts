import { badRequest, notFound } from '../errors.ts';
import { findSiteByPath, type ItemRecord, type ListRecord, type SiteRecord, type TenantRecord } from '../state.ts';

/**
 * Site addressing as in "Get a site resource": by composite id
 * `{hostname},{siteCollectionId},{webId}`, by `{hostname}:/{server-relative-path}` (the
 * router rewrites that form into a single segment), or `root`.
 */
export function resolveSite(tenant: TenantRecord, raw: string): SiteRecord {
  const ref = raw;
  let site: SiteRecord | undefined;
  const colon = ref.indexOf(':');
  if (colon > 0) {
    site = findSiteByPath(tenant, ref.slice(0, colon), ref.slice(colon + 1) || '/');
  } else if (ref === 'root') {
    site = tenant.sites.find((s) => s.path === '/');
  } else {
    const [host, collection, web] = ref.toLowerCase().split(',');
    site = tenant.sites.find((s) => s.hostname === host && s.siteCollectionId === collection && (web === undefined || s.webId === web));
  }
  if (!site) throw notFound('Requested site could not be found');
  return site;
}

/** Lists are addressed by id or, as Graph also allows, by display name. */
export function resolveList(site: SiteRecord, raw: string): ListRecord {
  const ref = raw.toLowerCase();
  const list =
    site.lists.find((l) => l.id === ref) ?? site.lists.find((l) => l.displayName.toLowerCase() === ref) ?? site.lists.find((l) => l.name.toLowerCase() === ref);
  if (!list) throw notFound('List not found');
  return list;
}

export function resolveItem(list: ListRecord, raw: string): ItemRecord {
  if (!/^\d+$/.test(raw)) throw badRequest(`The listItem id '${raw}' is not valid.`);
  const item = list.items.get(Number(raw));
  if (!item) throw notFound('Item not found');
  return item;
}
