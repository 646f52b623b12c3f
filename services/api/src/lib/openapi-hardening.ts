import type { RouteConfig } from '@hono/zod-openapi';
import { requiredRoleOf } from './auth.ts';
import type { App, Role } from './context.ts';
import { ProblemSchema } from './problem.ts';

/*
 * Documentation every /v1 operation gets from what the API does around it, so the OpenAPI
 * document cannot drift from the middleware: the role it requires (x-required-role and a
 * sentence), 429 (failed-authentication throttling), 413 and 415 where it takes a body, and
 * 503 where it depends on Temporal or Microsoft Graph answering.
 */

const problem = { content: { 'application/problem+json': { schema: ProblemSchema } } };
const ROLE_EXTENSION = 'x-required-role';

const ROLE_SENTENCES: Record<Role, string> = {
  viewer: 'Requires the viewer role: any valid API key.',
  operator: 'Requires the operator role (or admin).',
  admin: 'Requires the admin role.',
};

type DocumentedRoute = RouteConfig & { [ROLE_EXTENSION]?: Role };

/**
 * Makes app.openapi record the role each route's requireRole middleware asks for. The middleware
 * itself never reaches the OpenAPI registry (@hono/zod-openapi strips it), so it is read here,
 * at registration. Call before registering routes.
 */
export function recordRequiredRoles(app: App): void {
  const register = app.openapi.bind(app);
  const documented = ((route: DocumentedRoute, ...rest: unknown[]) => {
    const role = requiredRoleOf(route.middleware);
    return (register as (...args: unknown[]) => App)(role ? { ...route, [ROLE_EXTENSION]: role } : route, ...rest);
  }) as unknown as App['openapi'];
  app.openapi = documented;
}

const temporalQueue = 'No worker answered in time, or Temporal is unreachable. The request is kept: repeat it with the same x-request-id to get its ticket.';
const temporalSchedules = 'Temporal could not be updated. The change is saved: repeat the request (or restart the API) to apply it.';

/**
 * Routes that answer 503 when a dependency does not, with why. Each must exist (a renamed path
 * fails start-up rather than silently losing its documentation). A route that documents its
 * own 503 keeps it.
 */
export const UNAVAILABLE_ROUTES: ReadonlyArray<{ method: RouteConfig['method']; path: string; why: string }> = [
  { method: 'post', path: '/v1/sync-definitions/{id}/provision', why: temporalQueue },
  { method: 'post', path: '/v1/sync-definitions/{id}/runs', why: temporalQueue },
  { method: 'post', path: '/v1/sync-definitions/{id}/operations/{kind}', why: temporalQueue },
  { method: 'delete', path: '/v1/sync-definitions/{id}', why: 'Its Temporal schedules could not be removed; nothing was deleted, retry.' },
  { method: 'put', path: '/v1/sync-definitions/{id}/schedules/{kind}', why: temporalSchedules },
  { method: 'delete', path: '/v1/sync-definitions/{id}/schedules/{kind}', why: temporalSchedules },
  { method: 'post', path: '/v1/sync-definitions/{id}/schedules/{kind}/pause', why: temporalSchedules },
  { method: 'post', path: '/v1/sync-definitions/{id}/schedules/{kind}/resume', why: temporalSchedules },
  { method: 'post', path: '/v1/sync-definitions/{id}/schedules/{kind}/trigger', why: 'The schedule was missing in Temporal and could not be restored; retry.' },
  { method: 'get', path: '/v1/sharepoint-connections/{id}/sites', why: 'SharePoint (Microsoft Graph) is unavailable or throttling.' },
  { method: 'get', path: '/v1/sharepoint-connections/{id}/sites/{siteId}/lists', why: 'SharePoint (Microsoft Graph) is unavailable or throttling.' },
  {
    method: 'get',
    path: '/v1/sharepoint-connections/{id}/sites/{siteId}/lists/{listId}/columns',
    why: 'SharePoint (Microsoft Graph) is unavailable or throttling.',
  },
  { method: 'post', path: '/v1/diagnostics/health-workflow', why: 'The health workflow failed, or no worker completed it within 60 s.' },
];

const appendSentence = (description: string | undefined, sentence: string) => (description ? `${description}\n\n${sentence}` : sentence);

/** Adds the role, 413/415/429 and 503 documentation to every /v1 operation. Call after registering routes. */
export function documentHardening(app: App, limits: { bodyLimitBytes: number }): void {
  const routes = app.openAPIRegistry.definitions.flatMap((d) => (d.type === 'route' ? [d.route as DocumentedRoute] : []));
  for (const route of routes) {
    if (!route.path.startsWith('/v1/')) continue;
    // Authentication alone admits any valid key, which is what viewer means.
    const role = route[ROLE_EXTENSION] ?? 'viewer';
    route[ROLE_EXTENSION] = role;
    route.description = appendSentence(route.description, ROLE_SENTENCES[role]);
    const responses = route.responses;
    responses[429] ??= {
      description: 'Too many failed authentications from this address (or with this key prefix); Retry-After says when to try again',
      headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } },
      ...problem,
    };
    if (route.request?.body) {
      responses[413] ??= { description: `The body is larger than the API reads (API_BODY_LIMIT_BYTES, now ${limits.bodyLimitBytes} bytes)`, ...problem };
      responses[415] ??= { description: 'The body is not sent as application/json', ...problem };
    }
  }
  for (const { method, path, why } of UNAVAILABLE_ROUTES) {
    const route = routes.find((r) => r.method === method && r.path === path);
    if (!route) throw new Error(`no documented route ${method.toUpperCase()} ${path} to document its 503`);
    route.responses[503] ??= { description: why, ...problem };
  }
}
