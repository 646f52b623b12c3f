/**
 * Microsoft Graph application permissions for SharePoint sites, as the access token's
 * `roles` claim carries them, and what each operation requires. The Graph reference pages
 * name the least privileged permission per operation: "Get a site", "List lists",
 * "List items", "listItem: delta" need Sites.Read.All; "Create listItem", "Update listItem",
 * "Delete listItem" need Sites.ReadWrite.All; "Create list", "Create columnDefinition" and
 * "Update columnDefinition" need Sites.Manage.All (higher: Sites.FullControl.All). Each
 * level includes the ones below it ("Permissions reference": Sites.Manage.All "create,
 * edit, and delete items and lists in all site collections").
 *
 * Sites.Selected grants nothing by itself: access comes from per-site grants, which the
 * emulator does not model, so such an app is refused everywhere (as it is on a site nobody
 * granted it).
 */

export const SITE_ROLES = ['Sites.Read.All', 'Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All', 'Sites.Selected'] as const;
export type SiteRole = (typeof SITE_ROLES)[number];

/** What SyncBridge needs (it creates lists and columns): the default app gets exactly that. */
export const DEFAULT_CLIENT_ROLES: readonly SiteRole[] = ['Sites.Manage.All'];

export type AccessLevel = 'read' | 'write' | 'manage';

const GRANTS: Record<AccessLevel, readonly SiteRole[]> = {
  read: ['Sites.Read.All', 'Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All'],
  write: ['Sites.ReadWrite.All', 'Sites.Manage.All', 'Sites.FullControl.All'],
  manage: ['Sites.Manage.All', 'Sites.FullControl.All'],
};

export function grants(roles: readonly string[], level: AccessLevel): boolean {
  return roles.some((r) => (GRANTS[level] as readonly string[]).includes(r));
}

/**
 * The access a Graph request needs, from its method and path under `/v1.0`; undefined for
 * `$batch` (each sub-request is checked on its own). Writes under `/items` are item
 * writes; other writes under `/lists` (the list itself, its columns) change the list.
 */
export function requiredAccess(method: string, graphPath: string): AccessLevel | undefined {
  const segments = graphPath.split('/').filter(Boolean);
  if (segments[0] === '$batch') return undefined;
  if (method === 'GET' || method === 'HEAD') return 'read';
  return segments.includes('items') ? 'write' : 'manage';
}
