import type { Context, Hono } from 'hono';
import { checkIndexRules, parseColumnDefinition, renderColumn } from '../columns.ts';
import { badRequest, notFound, unknownProperty } from '../errors.ts';
import { applySelect, readQuery, validateExpand } from '../odata-query.ts';
import { refuseUserInformationListWrite } from '../users.ts';
import { graphTimestamp, isRecord } from '../util.ts';
import { siteId, type ColumnRecord, type ListRecord } from '../state.ts';
import type { GraphDeps, GraphEnv } from './env.ts';
import { graphBase, graphJson, readJsonBody } from './http.ts';
import { resolveList, resolveSite } from './resolve.ts';

const UPDATABLE = ['displayName', 'description', 'indexed', 'enforceUniqueValues', 'hidden', 'required', 'columnGroup'] as const;

function resolveColumn(list: ListRecord, raw: string): ColumnRecord {
  const ref = raw.toLowerCase();
  const column = list.columns.find((c) => c.id === ref) ?? list.columns.find((c) => c.name.toLowerCase() === ref);
  if (!column) throw notFound('Column not found');
  return column;
}

function touch(list: ListRecord): void {
  list.version++;
  list.modifiedAt = graphTimestamp();
}

/** "List columnDefinitions in a list", "Create columnDefinition", update and delete. */
export function registerColumns(app: Hono<GraphEnv>, deps: GraphDeps): void {
  const base = '/sites/:siteId/lists/:listId/columns';
  const context = (c: Context<GraphEnv>, sid: string, list: ListRecord, entity = false) =>
    `${graphBase(c)}/$metadata#sites('${sid}')/lists('${list.id}')/columns${entity ? '/$entity' : ''}`;

  const query = (c: Context<GraphEnv>) => {
    const q = readQuery(new URL(c.req.url));
    validateExpand(q.expand, 'columnDefinition');
    return q;
  };

  app.get(base, (c) => {
    const site = resolveSite(c.get('tenant'), c.req.param('siteId'));
    const list = resolveList(site, c.req.param('listId'));
    const q = query(c);
    return graphJson(c, { '@odata.context': context(c, siteId(site), list), value: list.columns.map((col) => applySelect(renderColumn(col), q.select)) });
  });

  app.get(`${base}/:columnId`, (c) => {
    const site = resolveSite(c.get('tenant'), c.req.param('siteId'));
    const list = resolveList(site, c.req.param('listId'));
    const q = query(c);
    return graphJson(c, {
      '@odata.context': context(c, siteId(site), list, true),
      ...applySelect(renderColumn(resolveColumn(list, c.req.param('columnId'))), q.select),
    });
  });

  app.post(base, async (c) => {
    const site = resolveSite(c.get('tenant'), c.req.param('siteId'));
    const list = resolveList(site, c.req.param('listId'));
    refuseUserInformationListWrite(list);
    const column = parseColumnDefinition(await readJsonBody(c), list, site);
    list.columns.push(column);
    touch(list);
    deps.store.changed();
    return graphJson(c, { '@odata.context': context(c, siteId(site), list, true), ...renderColumn(column) }, 201);
  });

  app.patch(`${base}/:columnId`, async (c) => {
    const site = resolveSite(c.get('tenant'), c.req.param('siteId'));
    const list = resolveList(site, c.req.param('listId'));
    refuseUserInformationListWrite(list);
    const column = resolveColumn(list, c.req.param('columnId'));
    const body = await readJsonBody(c);
    if (!isRecord(body)) throw badRequest('The request body must be a columnDefinition object.', 'BadRequest');
    if (column.readOnly) throw badRequest(`Column '${column.name}' is read-only.`);
    const next: ColumnRecord = { ...column };
    for (const [key, value] of Object.entries(body)) {
      if (key.startsWith('@')) continue;
      if (!(UPDATABLE as readonly string[]).includes(key)) throw unknownProperty(key, 'columnDefinition');
      if (key === 'displayName' || key === 'description' || key === 'columnGroup') {
        if (typeof value !== 'string') throw badRequest(`The columnDefinition property '${key}' must be a string.`);
        next[key] = value;
      } else {
        if (typeof value !== 'boolean') throw badRequest(`The columnDefinition property '${key}' must be a boolean.`);
        next[key as 'indexed' | 'enforceUniqueValues' | 'hidden' | 'required'] = value;
      }
    }
    checkIndexRules(next, list.columns);
    Object.assign(column, next);
    touch(list);
    deps.store.changed();
    return graphJson(c, { '@odata.context': context(c, siteId(site), list, true), ...renderColumn(column) });
  });

  app.delete(`${base}/:columnId`, (c) => {
    const site = resolveSite(c.get('tenant'), c.req.param('siteId'));
    const list = resolveList(site, c.req.param('listId'));
    refuseUserInformationListWrite(list);
    const column = resolveColumn(list, c.req.param('columnId'));
    if (column.readOnly || column.name === 'Title') throw badRequest(`Column '${column.name}' is a built-in column and cannot be deleted.`);
    list.columns = list.columns.filter((x) => x !== column);
    for (const item of list.items.values()) delete item.fields[column.name];
    touch(list);
    deps.store.changed();
    return c.body(null, 204);
  });
}
