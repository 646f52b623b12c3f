import type { RouteConfig } from '@hono/zod-openapi';
import type { App } from './context.ts';

/**
 * Adds documentation to a route another module registered (e.g. one of the CRUD factory's),
 * so behaviour a resource adds through its hooks (a live source check, a 503) is in the
 * OpenAPI document too. Throws at start-up when the route is not registered: a renamed path
 * must not silently drop the documentation.
 */
export function amendRouteDocs(
  app: App,
  method: RouteConfig['method'],
  path: string,
  amend: { description?: string; responses?: RouteConfig['responses'] },
): void {
  const found = app.openAPIRegistry.definitions.find((d) => d.type === 'route' && d.route.method === method && d.route.path === path);
  if (!found || found.type !== 'route') throw new Error(`no documented route ${method.toUpperCase()} ${path} to amend`);
  const route = found.route;
  if (amend.description) route.description = route.description ? `${route.description}\n\n${amend.description}` : amend.description;
  if (amend.responses) Object.assign(route.responses, amend.responses);
}
