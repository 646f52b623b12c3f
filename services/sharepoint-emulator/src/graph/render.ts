import { renderFields, itemEtag } from '../fields.ts';
import { isUserInformationList, siteId, type ItemRecord, type ListRecord, type SiteRecord, type TenantRecord } from '../state.ts';

export const siteWebUrl = (site: SiteRecord): string => `https://${site.hostname}${site.path === '/' ? '' : site.path}`;
/** Lists live under `Lists/`; the User Information List is the catalog `_catalogs/users`. */
export const listWebUrl = (site: SiteRecord, list: ListRecord): string =>
  isUserInformationList(list) ? `${siteWebUrl(site)}/_catalogs/users` : `${siteWebUrl(site)}/Lists/${list.name}`;

/** App-only writes show the application and SharePoint's "SharePoint App" user. */
export function identitySet(tenant: TenantRecord, clientId: string): Record<string, unknown> {
  const client = tenant.clients.find((c) => c.clientId.toLowerCase() === clientId.toLowerCase());
  return {
    application: { id: clientId, displayName: client?.displayName ?? clientId },
    user: { displayName: 'SharePoint App' },
  };
}

export function renderSite(site: SiteRecord): Record<string, unknown> {
  return {
    createdDateTime: site.createdAt,
    description: site.description,
    id: siteId(site),
    lastModifiedDateTime: site.modifiedAt,
    name: site.name,
    webUrl: siteWebUrl(site),
    displayName: site.displayName,
    ...(site.path === '/' ? { root: {} } : {}),
    siteCollection: { hostname: site.hostname },
  };
}

export function renderList(tenant: TenantRecord, site: SiteRecord, list: ListRecord): Record<string, unknown> {
  const etag = `"${list.id},${list.version}"`;
  return {
    '@odata.etag': etag,
    createdDateTime: list.createdAt,
    description: list.description,
    eTag: etag,
    id: list.id,
    lastModifiedDateTime: list.modifiedAt,
    name: list.name,
    webUrl: listWebUrl(site, list),
    displayName: list.displayName,
    createdBy: identitySet(tenant, list.createdBy),
    parentReference: { siteId: siteId(site) },
    list: { contentTypesEnabled: false, hidden: list.hidden === true, template: list.template },
  };
}

/** The list's item content type (`Item`), as listItems and their delta entries carry it. */
export const itemContentType = (list: ListRecord): { id: string; name: string } => ({ id: `0x0100${list.id.replace(/-/g, '').toUpperCase()}`, name: 'Item' });

export interface ItemRenderOptions {
  fields: boolean;
  fieldsSelect?: string[];
}

/** The listItem resource: eTag `"{guid},{version}"`, string id, and `fields` only when expanded. */
export function renderItem(tenant: TenantRecord, site: SiteRecord, list: ListRecord, item: ItemRecord, options: ItemRenderOptions): Record<string, unknown> {
  const etag = itemEtag(item);
  return {
    '@odata.etag': etag,
    createdDateTime: item.createdAt,
    eTag: etag,
    id: String(item.id),
    lastModifiedDateTime: item.modifiedAt,
    webUrl: `${listWebUrl(site, list)}/${item.id}_.000`,
    createdBy: identitySet(tenant, item.createdBy),
    lastModifiedBy: identitySet(tenant, item.modifiedBy),
    parentReference: { id: list.id, siteId: siteId(site) },
    contentType: itemContentType(list),
    ...(options.fields ? { fields: renderFields(site, list, item, options.fieldsSelect) } : {}),
  };
}
