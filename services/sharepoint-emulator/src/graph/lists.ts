import type { Hono } from 'hono';
import { builtInColumns, parseColumnDefinition, renderColumn } from '../columns.ts';
import { GraphError, badRequest, conflict, unknownProperty } from '../errors.ts';
import { applySelect, readQuery } from '../odata-query.ts';
import { newList, siteId, type ListRecord, type SiteRecord, type TenantRecord } from '../state.ts';
import { base64UrlDecode, base64UrlEncode, isRecord } from '../util.ts';
import type { GraphDeps, GraphEnv } from './env.ts';
import { buildLink, carriedParams, graphBase, graphJson, readJsonBody } from './http.ts';
import { renderList } from './render.ts';
import { resolveList, resolveSite } from './resolve.ts';

const DEFAULT_PAGE_SIZE = 200;
const LIST_PROPS = ['displayName', 'description', 'columns', 'list'];

function renderWithExpand(tenant: TenantRecord, site: SiteRecord, list: ListRecord, url: URL): Record<string, unknown> {
  const q = readQuery(url);
  const entity = renderList(tenant, site, list);
  if (q.expand.has('columns')) entity.columns = list.columns.map(renderColumn);
  return applySelect(entity, q.select, ['columns']);
}

/** "List lists in a site", "Get metadata for a list" and "Create a new list". */
export function registerLists(app: Hono<GraphEnv>, deps: GraphDeps): void {
  app.get('/sites/:siteId/lists', (c) => {
    const url = new URL(c.req.url);
    const tenant = c.get('tenant');
    const site = resolveSite(tenant, c.req.param('siteId'));
    const q = readQuery(url);
    let lists = site.lists;
    if (q.filter) {
      // Graph only supports filtering lists on displayName.
      const m = /^\s*displayName\s+eq\s+'((?:[^']|'')*)'\s*$/.exec(q.filter);
      if (!m) throw badRequest('The provided filter statement is not supported');
      const wanted = (m[1] as string).replace(/''/g, "'").toLowerCase();
      lists = lists.filter((l) => l.displayName.toLowerCase() === wanted);
    }
    const offset = q.skiptoken ? Number(base64UrlDecode(q.skiptoken).replace(/^offset=/, '')) || 0 : 0;
    const top = q.top ?? DEFAULT_PAGE_SIZE;
    const page = lists.slice(offset, offset + top);
    const body: Record<string, unknown> = {
      '@odata.context': `${graphBase(c)}/$metadata#sites('${siteId(site)}')/lists`,
      value: page.map((l) => renderWithExpand(tenant, site, l, url)),
    };
    if (offset + top < lists.length) {
      body['@odata.nextLink'] = buildLink(`${graphBase(c)}/sites/${siteId(site)}/lists`, [
        ...carriedParams(url, ['skiptoken']),
        ['$skiptoken', base64UrlEncode(`offset=${offset + top}`)],
      ]);
    }
    return graphJson(c, body);
  });

  app.get('/sites/:siteId/lists/:listId', (c) => {
    const tenant = c.get('tenant');
    const site = resolveSite(tenant, c.req.param('siteId'));
    const list = resolveList(site, c.req.param('listId'));
    return graphJson(c, {
      '@odata.context': `${graphBase(c)}/$metadata#sites('${siteId(site)}')/lists/$entity`,
      ...renderWithExpand(tenant, site, list, new URL(c.req.url)),
    });
  });

  app.post('/sites/:siteId/lists', async (c) => {
    const tenant = c.get('tenant');
    const site = resolveSite(tenant, c.req.param('siteId'));
    const body = await readJsonBody(c);
    if (!isRecord(body)) throw badRequest('The request body must be a list object.', 'BadRequest');
    for (const key of Object.keys(body)) if (!key.startsWith('@') && !LIST_PROPS.includes(key)) throw unknownProperty(key, 'list');
    const displayName = body.displayName;
    if (typeof displayName !== 'string' || !displayName.trim()) throw badRequest("The list property 'displayName' is required.");
    const template = isRecord(body.list) && typeof body.list.template === 'string' ? body.list.template : 'genericList';
    if (template !== 'genericList') {
      throw new GraphError(400, 'notSupported', `The list template '${template}' is not supported by the SharePoint emulator; use genericList.`);
    }
    if (site.lists.some((l) => l.displayName.toLowerCase() === displayName.toLowerCase())) {
      throw conflict('The specified name is already in use.');
    }
    const list = newList({
      displayName,
      description: typeof body.description === 'string' ? body.description : '',
      template,
      createdBy: c.get('auth').clientId,
    });
    list.columns = builtInColumns();
    if (body.columns !== undefined && !Array.isArray(body.columns)) throw badRequest("The list property 'columns' must be an array.");
    for (const def of (body.columns as unknown[] | undefined) ?? []) list.columns.push(parseColumnDefinition(def, list));
    site.lists.push(list);
    deps.store.changed();
    return graphJson(
      c,
      {
        '@odata.context': `${graphBase(c)}/$metadata#sites('${siteId(site)}')/lists/$entity`,
        ...renderList(tenant, site, list),
      },
      201,
    );
  });

  app.delete('/sites/:siteId/lists/:listId', (c) => {
    const site = resolveSite(c.get('tenant'), c.req.param('siteId'));
    const list = resolveList(site, c.req.param('listId'));
    site.lists = site.lists.filter((l) => l !== list);
    deps.store.changed();
    return c.body(null, 204);
  });
}
