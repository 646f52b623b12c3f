import { GraphError } from './errors.ts';
import { ensureUserInformationList, isUserInformationList, type ItemRecord, type ListRecord, type SiteRecord } from './state.ts';
import { graphTimestamp, newGuid } from './util.ts';

/** A site user as the admin API reports it: the lookup id person columns store, and the User Information List fields. */
export interface SiteUser {
  lookupId: number;
  email: string;
  displayName: string;
  userName: string;
}

const asUser = (item: ItemRecord): SiteUser => ({
  lookupId: item.id,
  email: typeof item.fields.EMail === 'string' ? item.fields.EMail : '',
  displayName: typeof item.fields.Title === 'string' ? item.fields.Title : '',
  userName: typeof item.fields.UserName === 'string' ? item.fields.UserName : '',
});

/** The site's users: the items of its User Information List, the "SharePoint App" principal included. */
export function siteUsers(site: SiteRecord): SiteUser[] {
  return [...ensureUserInformationList(site).items.values()].map(asUser);
}

/**
 * Adds a person to the site's User Information List, as SharePoint does the first time a user
 * is granted access or picked in a person column, and answers their lookup id. A known e-mail
 * (compared case-insensitively) answers the existing entry. Users take the next item id;
 * the map is kept in id order because item paging and delta walk it in that order.
 */
export function addSiteUser(site: SiteRecord, input: { email: string; displayName: string; userName?: string }): { user: SiteUser; created: boolean } {
  const list = ensureUserInformationList(site);
  const email = input.email.trim();
  const existing = [...list.items.values()].find((i) => typeof i.fields.EMail === 'string' && i.fields.EMail.toLowerCase() === email.toLowerCase());
  if (existing) return { user: asUser(existing), created: false };
  const now = graphTimestamp();
  const item: ItemRecord = {
    id: list.nextItemId++,
    guid: newGuid(),
    version: 1,
    createdAt: now,
    modifiedAt: now,
    createdBy: 'emulator-admin',
    modifiedBy: 'emulator-admin',
    fields: { Title: input.displayName, EMail: email, UserName: input.userName ?? email },
    changeSeq: ++list.changeSeq,
  };
  const ordered = [...list.items.values(), item].sort((a, b) => a.id - b.id);
  list.items = new Map(ordered.map((i) => [i.id, i]));
  return { user: asUser(item), created: true };
}

/**
 * SharePoint maintains the User Information List itself; the emulator does not model
 * writing it through Graph (items, columns, or deleting the list) and says so instead of
 * letting a person column's lookup ids drift. Site users are added through the admin API.
 */
export function refuseUserInformationListWrite(list: ListRecord): void {
  if (!isUserInformationList(list)) return;
  throw new GraphError(
    400,
    'notSupported',
    'Changing the User Information List through Graph is not supported by the SharePoint emulator; add site users with POST /_emulator/sites/{siteId}/users.',
  );
}
