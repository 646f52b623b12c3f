/**
 * The Microsoft Graph application permission SyncBridge needs, checked from the access
 * token. App-only tokens carry the application permissions granted (with admin consent) to
 * the app in their `roles` claim ("Microsoft identity platform access tokens"; Entra ID
 * leaves the claim out when none is granted).
 *
 * SyncBridge creates lists and columns when it provisions a definition: "Create list",
 * "Create columnDefinition" and "Update columnDefinition" need Sites.Manage.All (or
 * Sites.FullControl.All); Sites.ReadWrite.All only covers items, and Graph answers 403
 * accessDenied to list and column changes made with it. Sites.Manage.All includes item
 * reads and writes. With Sites.Selected, access is granted per site (roles `manage` or
 * `fullcontrol` on the connection's site), which the token does not show.
 */

export const REQUIRED_APP_PERMISSION = 'Sites.Manage.All';
const SUFFICIENT = new Set(['Sites.Manage.All', 'Sites.FullControl.All']);

/** The token's `roles` claim; undefined when the token is not a readable JWT (custom credentials, opaque tokens). */
export function tokenRoles(accessToken: string): string[] | undefined {
  const payload = accessToken.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { roles?: unknown };
    if (claims === null || typeof claims !== 'object') return undefined;
    return Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
  } catch {
    return undefined;
  }
}

export interface PermissionCheck {
  roles: string[] | undefined;
  /** Set when the app cannot do what SyncBridge needs: names the missing permission. */
  missing?: string;
  /** Set when the token cannot tell (opaque token, Sites.Selected). */
  warning?: string;
}

export function checkAppPermissions(roles: string[] | undefined): PermissionCheck {
  if (roles === undefined) {
    return { roles, warning: `The access token's roles claim could not be read; make sure the app has the application permission ${REQUIRED_APP_PERMISSION}` };
  }
  if (roles.some((r) => SUFFICIENT.has(r))) return { roles };
  if (roles.includes('Sites.Selected')) {
    return {
      roles,
      warning: `The app has Sites.Selected: it needs the 'manage' (or 'fullcontrol') role on the connection's site to create lists and columns; the token cannot show site grants`,
    };
  }
  return {
    roles,
    missing:
      `The app lacks the Microsoft Graph application permission ${REQUIRED_APP_PERMISSION} (its token grants: ${roles.length ? roles.join(', ') : 'none'}). ` +
      `SyncBridge needs it to create lists and columns (Sites.ReadWrite.All covers list items only; Graph answers 403 to list and column changes). ` +
      `Add ${REQUIRED_APP_PERMISSION} to the app registration and grant admin consent`,
  };
}
