import { Hono, type Context } from 'hono';
import type { HttpBindings } from '@hono/node-server';
import { z } from 'zod';
import type { Counters } from './counters.ts';
import { GraphError } from './errors.ts';
import { faultConfigSchema, faultPatchSchema, defaultFaults, type Faults } from './faults.ts';
import { renderFields, itemEtag } from './fields.ts';
import { createItem, deleteItem, updateItemFields } from './list-ops.ts';
import { DEFAULT_CLIENT_ROLES, SITE_ROLES } from './permissions.ts';
import { applySettingsPatch, renderSettings, settingsPatchSchema, type Settings } from './settings.ts';
import { siteId, userInformationList, type ListRecord, type SiteRecord, type Store, type TenantRecord } from './state.ts';
import type { Throttle } from './throttle.ts';
import { renderSite } from './graph/render.ts';
import { addSiteUser, refuseUserInformationListWrite, siteUsers } from './users.ts';

export interface AdminDeps {
  store: Store;
  settings: Settings;
  faults: Faults;
  counters: Counters;
  throttle: Throttle;
  /** Restores the start-up state: configured tenants, the default site, default faults and settings. */
  reset(): void;
  info(): Record<string, unknown>;
}

type AdminEnv = { Bindings: Partial<HttpBindings> };

const siteSchema = z.object({
  tenantId: z.string().optional(),
  hostname: z.string().min(1),
  path: z.string().min(1),
  displayName: z.string().optional(),
  description: z.string().optional(),
  siteCollectionId: z.string().uuid().optional(),
  webId: z.string().uuid().optional(),
});

const tenantSchema = z.object({
  tenantId: z.string().min(1),
  clients: z.array(
    z.object({
      clientId: z.string().min(1),
      clientSecret: z.string().min(1),
      displayName: z.string().optional(),
      /** Application permissions (the token's `roles` claim); DEFAULT_CLIENT_ROLES when left out. */
      roles: z.array(z.enum(SITE_ROLES)).optional(),
    }),
  ),
  seedDefaultSite: z.boolean().optional(),
});

const siteUserSchema = z.object({
  email: z.email(),
  displayName: z.string().trim().min(1),
  /** The login name the User Information List's `UserName` holds; defaults to the e-mail. */
  userName: z.string().trim().min(1).optional(),
});

const isLoopback = (address: string | undefined): boolean =>
  !!address && (address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.'));

async function parse<T extends z.ZodType>(c: Context<AdminEnv>, schema: T): Promise<z.infer<T>> {
  const text = await c.req.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    throw new GraphError(400, 'BadRequest', 'The request body is not valid JSON.');
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new GraphError(400, 'BadRequest', z.prettifyError(result.error));
  return result.data;
}

function findList(store: Store, listId: string): { tenant: TenantRecord; site: SiteRecord; list: ListRecord } {
  for (const tenant of store.tenants.values()) {
    for (const site of tenant.sites) {
      const list = site.lists.find((l) => l.id === listId.toLowerCase());
      if (list) return { tenant, site, list };
    }
  }
  throw new GraphError(404, 'itemNotFound', `List '${listId}' not found.`);
}

function findSite(store: Store, id: string): SiteRecord {
  const wanted = id.toLowerCase();
  for (const tenant of store.tenants.values()) {
    const site = tenant.sites.find((s) => siteId(s) === wanted);
    if (site) return site;
  }
  throw new GraphError(404, 'itemNotFound', `Site '${id}' not found.`);
}

/**
 * Test and demo control surface under `/_emulator`: no authentication, so it only answers
 * callers on the loopback interface (and never `$batch` sub-requests, which have no socket).
 */
export function createAdminApp(deps: AdminDeps): Hono<AdminEnv> {
  const { store } = deps;
  const app = new Hono<AdminEnv>();
  app.onError((err, c) => {
    const status = err instanceof GraphError ? err.status : 500;
    const code = err instanceof GraphError ? err.code : 'generalException';
    return c.json({ error: { code, message: err.message } }, status);
  });
  app.use('*', async (c, next) => {
    if (!isLoopback(c.env?.incoming?.socket.remoteAddress)) throw new GraphError(403, 'accessDenied', 'The emulator admin API only answers loopback callers.');
    await next();
  });

  app.get('/', (c) => c.json(deps.info()));
  app.post('/reset', (c) => {
    deps.reset();
    return c.body(null, 204);
  });

  app.get('/tenants', (c) =>
    c.json({
      value: [...store.tenants.values()].map((t) => ({
        tenantId: t.tenantId,
        clients: t.clients.map((x) => ({ clientId: x.clientId, displayName: x.displayName, roles: x.roles ?? DEFAULT_CLIENT_ROLES })),
      })),
    }),
  );
  app.post('/tenants', async (c) => {
    const input = await parse(c, tenantSchema);
    const tenant = store.upsertTenant(input.tenantId, input.clients);
    if (input.seedDefaultSite !== false && tenant.sites.length === 0) store.addSite(tenant, DEFAULT_SITE);
    return c.json({ tenantId: tenant.tenantId, clients: tenant.clients.map((x) => x.clientId), sites: tenant.sites.map(renderSite) }, 201);
  });

  app.get('/sites', (c) =>
    c.json({
      value: [...store.tenants.values()].flatMap((t) =>
        t.sites.map((s) => ({
          tenantId: t.tenantId,
          ...renderSite(s),
          lists: s.lists.map((l) => ({ id: l.id, displayName: l.displayName, itemCount: l.items.size })),
        })),
      ),
    }),
  );
  app.post('/sites', async (c) => {
    const input = await parse(c, siteSchema);
    const tenant = input.tenantId ? store.getTenant(input.tenantId) : store.tenants.values().next().value;
    if (!tenant) throw new GraphError(404, 'itemNotFound', `Tenant '${input.tenantId ?? ''}' is not registered.`);
    const site = store.addSite(tenant, input);
    return c.json({ tenantId: tenant.tenantId, ...renderSite(site) }, 201);
  });

  /** The site's users (its User Information List): lookup ids for person columns. */
  app.get('/sites/:siteId/users', (c) => {
    const site = findSite(store, c.req.param('siteId'));
    return c.json({ siteId: siteId(site), listId: userInformationList(site)?.id, value: siteUsers(site) });
  });
  /** Adds a person to the site's User Information List (201), or answers the entry with that e-mail (200). */
  app.post('/sites/:siteId/users', async (c) => {
    const site = findSite(store, c.req.param('siteId'));
    const input = await parse(c, siteUserSchema);
    const { user, created } = addSiteUser(site, input);
    if (created) store.changed();
    return c.json(user, created ? 201 : 200);
  });

  app.get('/faults', (c) => c.json(deps.faults.config));
  app.put('/faults', async (c) => {
    const patch = await parse(c, faultPatchSchema);
    deps.faults.reset();
    deps.faults.update(faultConfigSchema.parse({ ...defaultFaults(), ...patch }));
    return c.json(deps.faults.config);
  });

  app.get('/settings', (c) => c.json(renderSettings(deps.settings)));
  app.put('/settings', async (c) => {
    applySettingsPatch(deps.settings, await parse(c, settingsPatchSchema));
    deps.throttle.reset();
    return c.json(renderSettings(deps.settings));
  });

  app.get('/counters', (c) => c.json(deps.counters.snapshot()));
  app.post('/counters/reset', (c) => {
    deps.counters.reset();
    deps.throttle.reset();
    return c.body(null, 204);
  });

  app.post('/delta/expire', async (c) => {
    const { listId } = await parse(c, z.object({ listId: z.string().optional() }));
    const lists = listId ? [findList(store, listId).list] : [...store.tenants.values()].flatMap((t) => t.sites.flatMap((s) => s.lists));
    for (const list of lists) list.deltaEpoch++;
    store.changed();
    return c.json({ expired: lists.map((l) => l.id) });
  });

  app.get('/lists/:listId/items', (c) => {
    const { site, list } = findList(store, c.req.param('listId'));
    return c.json({
      siteId: siteId(site),
      listId: list.id,
      value: [...list.items.values()].map((item) => ({
        id: String(item.id),
        eTag: itemEtag(item),
        createdDateTime: item.createdAt,
        lastModifiedDateTime: item.modifiedAt,
        fields: renderFields(site, list, item),
      })),
    });
  });

  /** Bulk seeding for tests (for example a list past the 5,000-item threshold); same validation as Graph. */
  app.post('/lists/:listId/items', async (c) => {
    const { site, list } = findList(store, c.req.param('listId'));
    refuseUserInformationListWrite(list);
    const { items } = await parse(c, z.object({ items: z.array(z.object({ fields: z.record(z.string(), z.unknown()) })) }));
    const ids = items.map((i) => String(createItem(site, list, i.fields, 'emulator-admin').id));
    store.changed();
    return c.json({ created: ids.length, ids }, 201);
  });

  /** A person's edit in the SharePoint UI (tests of ingress): same validation as Graph, recorded for delta. */
  app.patch('/lists/:listId/items/:itemId', async (c) => {
    const { site, list } = findList(store, c.req.param('listId'));
    refuseUserInformationListWrite(list);
    const item = list.items.get(Number(c.req.param('itemId')));
    if (!item) throw new GraphError(404, 'itemNotFound', `item ${c.req.param('itemId')} does not exist`);
    const { fields } = await parse(c, z.object({ fields: z.record(z.string(), z.unknown()) }));
    updateItemFields(site, list, item, fields, 'emulator-admin');
    store.changed();
    return c.json({ id: String(item.id), fields: renderFields(site, list, item) });
  });

  /** A person deleting an item in the SharePoint UI (tests of ingress). */
  app.delete('/lists/:listId/items/:itemId', (c) => {
    const { list } = findList(store, c.req.param('listId'));
    refuseUserInformationListWrite(list);
    const item = list.items.get(Number(c.req.param('itemId')));
    if (!item) throw new GraphError(404, 'itemNotFound', `item ${c.req.param('itemId')} does not exist`);
    deleteItem(list, item, deps.settings.deltaTokenTtlMs);
    store.changed();
    return c.body(null, 204);
  });

  return app;
}

export const DEFAULT_SITE = { hostname: 'contoso.sharepoint.com', path: '/sites/syncbridge', displayName: 'SyncBridge' };
