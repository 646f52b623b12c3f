import type { Hono } from 'hono';
import { readQuery, validateExpand } from '../odata-query.ts';
import type { GraphEnv } from './env.ts';
import { graphBase, graphJson } from './http.ts';
import { renderSite } from './render.ts';
import { resolveSite } from './resolve.ts';

/** "Get a site resource" and "Search for sites". */
export function registerSites(app: Hono<GraphEnv>): void {
  app.get('/sites', (c) => {
    // `search=*` (or no search) lists every site the app can see.
    const q = readQuery(new URL(c.req.url));
    validateExpand(q.expand, 'site');
    const term = (q.search ?? '').replace(/^"|"$/g, '').replace(/^\*$/, '').toLowerCase();
    const sites = c.get('tenant').sites.filter((s) => !term || [s.name, s.displayName, s.description, s.path].some((v) => v.toLowerCase().includes(term)));
    return graphJson(c, { '@odata.context': `${graphBase(c)}/$metadata#sites`, value: sites.map(renderSite) });
  });

  app.get('/sites/:siteId', (c) => {
    validateExpand(readQuery(new URL(c.req.url)).expand, 'site');
    const site = resolveSite(c.get('tenant'), c.req.param('siteId'));
    return graphJson(c, { '@odata.context': `${graphBase(c)}/$metadata#sites/$entity`, ...renderSite(site) });
  });
}
