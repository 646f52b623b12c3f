import type { Context, Hono } from 'hono';
import { isLookupColumn, isMultiValue } from '../columns.ts';
import { checkFieldsSelect, fieldForFilter, renderFields } from '../fields.ts';
import { GraphError, badRequest, unknownProperty } from '../errors.ts';
import { checkIfMatch, createItem, deleteItem, updateItemFields } from '../list-ops.ts';
import { evaluateFilter, parseFilter, referencedFields, type FilterExpr } from '../odata-filter.ts';
import { applySelect, readQuery, validateExpand, type ExpandOption } from '../odata-query.ts';
import { siteId, type ItemRecord, type ListRecord } from '../state.ts';
import { refuseUserInformationListWrite } from '../users.ts';
import { isRecord } from '../util.ts';
import type { GraphDeps, GraphEnv } from './env.ts';
import { buildLink, carriedParams, graphBase, graphJson, preferences, readJsonBody } from './http.ts';
import { renderItem, type ItemRenderOptions } from './render.ts';
import { resolveItem, resolveList, resolveSite } from './resolve.ts';

/** Graph pages list items 200 at a time unless `$top` (at most 5000) says otherwise. */
export const DEFAULT_ITEM_PAGE_SIZE = 200;
const HONOR_NON_INDEXED = 'honornonindexedquerieswarningmayfailrandomly';
/** Fields SharePoint can always filter on: the ID primary key. */
const ALWAYS_INDEXED = new Set(['id', 'ID']);
const COMPUTED_FILTERABLE = new Set(['id', 'ID', 'Created', 'Modified', 'ContentType']);
/** listItem properties the service sets ("listItem resource type"). */
const READ_ONLY_ITEM_PROPERTIES = [
  'id',
  'eTag',
  'createdBy',
  'createdDateTime',
  'lastModifiedBy',
  'lastModifiedDateTime',
  'parentReference',
  'webUrl',
  'sharepointIds',
];
/** Writable listItem properties and relationships the emulator does not model. */
const UNMODELLED_ITEM_PROPERTIES = ['contentType', 'name', 'description', 'driveItem', 'versions', 'analytics', 'documentSetVersions'];

/** How listItems render under an `$expand` already checked with `validateExpand(..., 'listItem')`. */
export function itemRenderOptions(expand: Map<string, ExpandOption>, list: ListRecord): ItemRenderOptions {
  const fields = expand.get('fields');
  checkFieldsSelect(list, fields?.select);
  return { fields: fields !== undefined, fieldsSelect: fields?.select };
}

/**
 * SharePoint refuses `$filter` on a column without an index unless the caller sends
 * `Prefer: HonorNonIndexedQueriesWarningMayFailRandomly` (Graph error "Field 'X' cannot be
 * referenced in filter or orderby as it is not indexed"); Graph answers this on lists of
 * any size. The header's name is its warning: on a list past the list view threshold
 * (5,000 items) such a query has to scan the list and fails. Without strict mode the
 * emulator answers it anyway; in strict mode it fails every time.
 */
function compileFilter(c: Context<GraphEnv>, deps: GraphDeps, list: ListRecord, src: string): FilterExpr {
  const expr = parseFilter(src);
  const honor = preferences(c).includes(HONOR_NON_INDEXED);
  for (const name of referencedFields(expr)) {
    const column = list.columns.find((col) => col.name === name);
    const lookup = list.columns.find((col) => isLookupColumn(col) && (col.name === name || `${col.name}LookupId` === name));
    if (lookup || (column && isMultiValue(column))) {
      throw new GraphError(400, 'notSupported', `Filtering on the lookup or multi-valued field '${name}' is not supported by the SharePoint emulator.`);
    }
    if (!column && !COMPUTED_FILTERABLE.has(name)) throw badRequest(`Field '${name}' is not recognized`);
    const indexed = ALWAYS_INDEXED.has(name) || column?.indexed === true;
    if (indexed) continue;
    if (!honor) {
      throw badRequest(
        `Field '${name}' cannot be referenced in filter or orderby as it is not indexed. Provide the 'Prefer: HonorNonIndexedQueriesWarningMayFailRandomly' header to allow this, but be warned that such queries may fail on large lists.`,
      );
    }
    if (deps.settings.strict && list.items.size > deps.settings.listViewThreshold) {
      throw new GraphError(
        400,
        'invalidRequest',
        `The attempted operation is prohibited because it exceeds the list view threshold: the list holds ${list.items.size} items (threshold ${deps.settings.listViewThreshold}) and field '${name}' is not indexed. Index the column, or filter on an indexed one.`,
        {},
        'totalAffectedItemCountExceeded',
      );
    }
  }
  return expr;
}

/** Graph's list item skiptoken is SharePoint's paging cookie, `Paged=TRUE&p_ID=<last id>`, base64-encoded. */
export const encodeSkipToken = (lastId: number): string => Buffer.from(`Paged=TRUE&p_ID=${lastId}`).toString('base64');

/** One page of items after item id `after` in id order, and whether more follow. */
export function pageItems(list: ListRecord, after: number, top: number, filter?: FilterExpr): { page: ItemRecord[]; more: boolean } {
  const page: ItemRecord[] = [];
  for (const item of list.items.values()) {
    if (item.id <= after) continue;
    if (filter && !evaluateFilter(filter, (name) => fieldForFilter(item, name))) continue;
    if (page.length === top) return { page, more: true };
    page.push(item);
  }
  return { page, more: false };
}

function decodeSkipToken(token: string | undefined): number {
  if (!token) return 0;
  const m = /p_ID=(\d+)/.exec(Buffer.from(token, 'base64').toString('utf8'));
  if (!m) throw badRequest('The $skiptoken is not valid.');
  return Number(m[1]);
}

export function registerItems(app: Hono<GraphEnv>, deps: GraphDeps): void {
  const base = '/sites/:siteId/lists/:listId/items';
  const locate = (c: Context<GraphEnv>) => {
    const tenant = c.get('tenant');
    const site = resolveSite(tenant, c.req.param('siteId') as string);
    const list = resolveList(site, c.req.param('listId') as string);
    return { tenant, site, list };
  };

  app.get(base, (c) => {
    const url = new URL(c.req.url);
    const { tenant, site, list } = locate(c);
    const q = readQuery(url);
    validateExpand(q.expand, 'listItem');
    if (q.orderby) throw new GraphError(400, 'notSupported', 'The $orderby query option is not supported by the SharePoint emulator.');
    const filter = q.filter ? compileFilter(c, deps, list, q.filter) : undefined;
    const top = q.top ?? DEFAULT_ITEM_PAGE_SIZE;
    const { page, more } = pageItems(list, decodeSkipToken(q.skiptoken), top, filter);
    const options = itemRenderOptions(q.expand, list);
    const body: Record<string, unknown> = {
      '@odata.context': `${graphBase(c)}/$metadata#sites('${siteId(site)}')/lists('${list.id}')/items`,
      value: page.map((item) => applySelect(renderItem(tenant, site, list, item, options), q.select, ['fields'])),
    };
    const last = page[page.length - 1];
    if (more && last) {
      body['@odata.nextLink'] = buildLink(`${graphBase(c)}/sites/${siteId(site)}/lists/${list.id}/items`, [
        ...carriedParams(url, ['skiptoken']),
        ['$skiptoken', encodeSkipToken(last.id)],
      ]);
    }
    return graphJson(c, body);
  });

  app.get(`${base}/:itemId`, (c) => {
    const { tenant, site, list } = locate(c);
    const item = resolveItem(list, c.req.param('itemId'));
    const q = readQuery(new URL(c.req.url));
    validateExpand(q.expand, 'listItem');
    return graphJson(c, {
      '@odata.context': `${graphBase(c)}/$metadata#sites('${siteId(site)}')/lists('${list.id}')/items/$entity`,
      ...applySelect(renderItem(tenant, site, list, item, itemRenderOptions(q.expand, list)), q.select, ['fields']),
    });
  });

  app.get(`${base}/:itemId/fields`, (c) => {
    const { site, list } = locate(c);
    const item = resolveItem(list, c.req.param('itemId'));
    const q = readQuery(new URL(c.req.url));
    validateExpand(q.expand, 'fieldValueSet');
    checkFieldsSelect(list, q.select);
    return graphJson(c, {
      '@odata.context': `${graphBase(c)}/$metadata#sites('${siteId(site)}')/lists('${list.id}')/items('${item.id}')/fields/$entity`,
      ...renderFields(site, list, item, q.select),
    });
  });

  app.post(base, async (c) => {
    const { tenant, site, list } = locate(c);
    refuseUserInformationListWrite(list);
    const body = await readJsonBody(c);
    if (!isRecord(body)) throw badRequest('The request body must be a listItem object.', 'BadRequest');
    for (const key of Object.keys(body)) if (!key.startsWith('@') && key !== 'fields') throw unknownProperty(key, 'listItem');
    const item = createItem(site, list, body.fields, c.get('auth').clientId);
    deps.store.changed();
    return graphJson(
      c,
      {
        '@odata.context': `${graphBase(c)}/$metadata#sites('${siteId(site)}')/lists('${list.id}')/items/$entity`,
        ...renderItem(tenant, site, list, item, { fields: true }),
      },
      201,
    );
  });

  app.patch(`${base}/:itemId/fields`, async (c) => {
    const { site, list } = locate(c);
    refuseUserInformationListWrite(list);
    const item = resolveItem(list, c.req.param('itemId'));
    checkIfMatch(item, c.req.header('if-match'));
    const body = await readJsonBody(c);
    if (!isRecord(body)) throw badRequest('The request body must be a fieldValueSet object.', 'BadRequest');
    updateItemFields(site, list, item, body, c.get('auth').clientId);
    deps.store.changed();
    return graphJson(c, {
      '@odata.context': `${graphBase(c)}/$metadata#sites('${siteId(site)}')/lists('${list.id}')/items('${item.id}')/fields/$entity`,
      ...renderFields(site, list, item),
    });
  });

  /**
   * "Update listItem": `PATCH .../items/{item-id}` updates the properties of the listItem,
   * whose column values travel as `{ "fields": { ... } }` (the `/fields` form takes the
   * fieldValueSet itself). Answers the updated listItem with its fields. Read-only
   * properties answer 400 `propertyNotUpdateable`; writable ones the emulator does not
   * model answer 400 `notSupported`, never a silent 200.
   */
  app.patch(`${base}/:itemId`, async (c) => {
    const { tenant, site, list } = locate(c);
    refuseUserInformationListWrite(list);
    const item = resolveItem(list, c.req.param('itemId'));
    checkIfMatch(item, c.req.header('if-match'));
    const body = await readJsonBody(c);
    if (!isRecord(body)) throw badRequest('The request body must be a listItem object.', 'BadRequest');
    for (const key of Object.keys(body)) {
      if (key.startsWith('@') || key === 'fields') continue;
      if (READ_ONLY_ITEM_PROPERTIES.includes(key)) {
        throw new GraphError(400, 'invalidRequest', `The listItem property '${key}' cannot be updated.`, {}, 'propertyNotUpdateable');
      }
      if (UNMODELLED_ITEM_PROPERTIES.includes(key)) {
        throw new GraphError(400, 'notSupported', `Updating the listItem property '${key}' is not supported by the SharePoint emulator.`);
      }
      throw unknownProperty(key, 'listItem');
    }
    if (body.fields !== undefined) {
      if (!isRecord(body.fields)) throw badRequest("The listItem property 'fields' must be an object.", 'BadRequest');
      updateItemFields(site, list, item, body.fields, c.get('auth').clientId);
      deps.store.changed();
    }
    return graphJson(c, {
      '@odata.context': `${graphBase(c)}/$metadata#sites('${siteId(site)}')/lists('${list.id}')/items/$entity`,
      ...renderItem(tenant, site, list, item, { fields: true }),
    });
  });

  app.delete(`${base}/:itemId`, (c) => {
    const { list } = locate(c);
    refuseUserInformationListWrite(list);
    const item = resolveItem(list, c.req.param('itemId'));
    checkIfMatch(item, c.req.header('if-match'));
    deleteItem(list, item, deps.settings.deltaTokenTtlMs);
    deps.store.changed();
    return c.body(null, 204);
  });
}
