import type { Context, Hono } from 'hono';
import { builtInColumns, parseColumnDefinition, renderColumn } from '../columns.ts';
import { GraphError, badRequest, conflict, unknownProperty } from '../errors.ts';
import { applySelect, formatExpand, readQuery, validateExpand, type ExpandOption } from '../odata-query.ts';
import { newList, siteId, type ListRecord, type SiteRecord, type TenantRecord } from '../state.ts';
import { refuseUserInformationListWrite } from '../users.ts';
import { base64UrlDecode, base64UrlEncode, isRecord } from '../util.ts';
import type { GraphDeps, GraphEnv } from './env.ts';
import { buildLink, carriedParams, graphBase, graphJson, readJsonBody } from './http.ts';
import { DEFAULT_ITEM_PAGE_SIZE, encodeSkipToken, itemRenderOptions, pageItems } from './items.ts';
import { renderItem, renderList } from './render.ts';
import { resolveList, resolveSite } from './resolve.ts';

const DEFAULT_PAGE_SIZE = 200;
const LIST_PROPS = ['displayName', 'description', 'columns', 'list'];

/**
 * A list with `$expand` and `$select` applied, as "Get metadata for a list" documents them
 * (`?expand=columns,items(expand=fields(select=Name,Color,Quantity))`): columns with an
 * optional `$select`, and the first page of items (200, or the `$top` inside the expand)
 * with their own `$select`/`$expand=fields(...)`; when more items follow, an
 * `items@odata.nextLink` continues on the items collection.
 */
function renderWithExpand(c: Context<GraphEnv>, tenant: TenantRecord, site: SiteRecord, list: ListRecord, url: URL): Record<string, unknown> {
  const q = readQuery(url);
  validateExpand(q.expand, 'list');
  const entity = renderList(tenant, site, list);
  const columns = q.expand.get('columns');
  if (columns) entity.columns = list.columns.map((col) => applySelect(renderColumn(col), columns.select));
  const items = q.expand.get('items');
  if (items) Object.assign(entity, expandItems(c, tenant, site, list, items));
  return applySelect(entity, q.select, ['columns', 'items', 'items@odata.nextLink']);
}

function expandItems(c: Context<GraphEnv>, tenant: TenantRecord, site: SiteRecord, list: ListRecord, option: ExpandOption): Record<string, unknown> {
  const top = option.top ?? DEFAULT_ITEM_PAGE_SIZE;
  const { page, more } = pageItems(list, 0, top);
  const options = itemRenderOptions(option.expand, list);
  const out: Record<string, unknown> = { items: page.map((item) => applySelect(renderItem(tenant, site, list, item, options), option.select, ['fields'])) };
  const last = page[page.length - 1];
  if (more && last) {
    out['items@odata.nextLink'] = buildLink(`${graphBase(c)}/sites/${siteId(site)}/lists/${list.id}/items`, [
      ['$select', option.select?.join(',')],
      ['$expand', formatExpand(option.expand)],
      ['$top', String(top)],
      ['$skiptoken', encodeSkipToken(last.id)],
    ]);
  }
  return out;
}

/** "List lists in a site", "Get metadata for a list" and "Create a new list". */
export function registerLists(app: Hono<GraphEnv>, deps: GraphDeps): void {
  app.get('/sites/:siteId/lists', (c) => {
    const url = new URL(c.req.url);
    const tenant = c.get('tenant');
    const site = resolveSite(tenant, c.req.param('siteId'));
    const q = readQuery(url);
    validateExpand(q.expand, 'list');
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
      value: page.map((l) => renderWithExpand(c, tenant, site, l, url)),
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
      ...renderWithExpand(c, tenant, site, list, new URL(c.req.url)),
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
    for (const def of (body.columns as unknown[] | undefined) ?? []) list.columns.push(parseColumnDefinition(def, list, site));
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
    refuseUserInformationListWrite(list);
    site.lists = site.lists.filter((l) => l !== list);
    deps.store.changed();
    return c.body(null, 204);
  });
}
