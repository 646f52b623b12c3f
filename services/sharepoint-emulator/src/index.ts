import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { DEFAULT_SITE, createAdminApp } from './admin.ts';
import { generateTls, tlsStillValid } from './certs.ts';
import { Counters } from './counters.ts';
import { Faults } from './faults.ts';
import { createGraphApp, graphPath } from './graph/app.ts';
import type { GraphDeps, GraphEnv, Logger } from './graph/env.ts';
import { createIdentityApp } from './identity.ts';
import { Persister, loadStore } from './persist.ts';
import { DEFAULT_CLIENT_ROLES, SITE_ROLES, type SiteRole } from './permissions.ts';
import { DEFAULT_DELTA_TOKEN_TTL_MS, DEFAULT_LIST_VIEW_THRESHOLD, DEFAULT_RU_PER_MINUTE, DEFAULT_TOKEN_LIFETIME_SECONDS, type Settings } from './settings.ts';
import { Store } from './state.ts';
import { Throttle } from './throttle.ts';

export interface EmulatorOptions {
  port?: number;
  host?: string;
  tokenPort?: number;
  persistFile?: string;
  /** App registrations; a client without `roles` gets DEFAULT_CLIENT_ROLES (Sites.Manage.All). */
  tenants?: Array<{ tenantId: string; clients: Array<{ clientId: string; clientSecret: string; displayName?: string; roles?: SiteRole[] }> }>;
  ruPerMinute?: number;
  deltaTokenTtlMs?: number;
  /** Strict mode (see Settings.strict); defaults to the EMULATOR_STRICT environment variable (`1`/`true`), else off. */
  strict?: boolean;
  listViewThreshold?: number;
  logger?: { info(...a: unknown[]): void; warn(...a: unknown[]): void };
}

export interface RunningEmulator {
  graphBaseUrl: string;
  authorityHost: string;
  caCertificatePem: string;
  adminUrl: string;
  close(): Promise<void>;
}

/** The app registration used when `tenants` is not given. */
export const DEFAULT_TENANT_ID = '7f0c2d1e-5b3a-4c1d-9e8f-000000000001';
export const DEFAULT_CLIENT_ID = '3b2a1c0d-8e7f-4a6b-9c5d-000000000002';
export const DEFAULT_CLIENT_SECRET = 'syncbridge-emulator-secret';
export { DEFAULT_SITE, DEFAULT_CLIENT_ROLES, SITE_ROLES, type SiteRole };

/** `1`, `true`, `yes`, `on` (any case) turn a flag on. */
export const envFlag = (value: string | undefined): boolean => /^(1|true|yes|on)$/i.test((value ?? '').trim());

const silent: Logger = { info: () => {}, warn: () => {} };

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const urlHost = (host: string): string => {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
};

/**
 * Starts the emulator: Microsoft Graph v1.0 on plain HTTP (`graphBaseUrl`) with the admin
 * API (`adminUrl`), and an HTTPS listener with a self-signed certificate that serves the
 * identity endpoint (`authorityHost`) and the same Graph app at `${authorityHost}/v1.0`.
 * Nothing starts unless this is called.
 */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const logger = opts.logger ?? silent;
  const host = opts.host ?? '127.0.0.1';
  const store = new Store();
  const loaded = opts.persistFile ? loadStore(store, opts.persistFile) : false;
  const configuredTenants = opts.tenants ?? [{ tenantId: DEFAULT_TENANT_ID, clients: [{ clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET }] }];
  const initial: Settings = {
    ruPerMinute: opts.ruPerMinute === undefined ? DEFAULT_RU_PER_MINUTE : opts.ruPerMinute === 0 ? Infinity : opts.ruPerMinute,
    throttleWindowMs: 60_000,
    deltaTokenTtlMs: opts.deltaTokenTtlMs ?? DEFAULT_DELTA_TOKEN_TTL_MS,
    tokenLifetimeSeconds: DEFAULT_TOKEN_LIFETIME_SECONDS,
    graphOrigins: [],
    strict: opts.strict ?? envFlag(process.env.EMULATOR_STRICT),
    listViewThreshold: opts.listViewThreshold ?? DEFAULT_LIST_VIEW_THRESHOLD,
  };
  const settings: Settings = { ...initial };

  const seedTenants = () => {
    for (const t of configuredTenants) {
      const tenant = store.upsertTenant(t.tenantId, t.clients);
      if (tenant.sites.length === 0) store.addSite(tenant, DEFAULT_SITE);
    }
  };
  seedTenants();
  if (!tlsStillValid(store.tls)) store.tls = await generateTls();
  const tls = store.tls;

  const persister = opts.persistFile
    ? new Persister(store, opts.persistFile, 250, (err) => logger.warn('sharepoint-emulator: could not save state', err))
    : undefined;
  if (persister) {
    store.onChange(() => persister.schedule());
    persister.save();
  }

  const throttle = new Throttle(settings);
  const faults = new Faults();
  const counters = new Counters();
  const timers = new Set<NodeJS.Timeout>();
  const root = new Hono<GraphEnv>({ getPath: graphPath });
  const deps: GraphDeps = {
    store,
    settings,
    throttle,
    faults,
    counters,
    logger,
    dispatch: async (request, env) => root.fetch(request, env),
    trackTimer: (t) => {
      timers.add(t);
      t.unref();
    },
  };

  const urls = { graphBaseUrl: '', authorityHost: '', adminUrl: '' };
  const graphApp = createGraphApp(deps);
  root.route('/v1.0', graphApp);
  root.route(
    '/_emulator',
    createAdminApp({
      store,
      settings,
      faults,
      counters,
      throttle,
      reset: () => {
        store.tenants.clear();
        seedTenants();
        faults.reset();
        counters.reset();
        throttle.reset();
        Object.assign(settings, initial);
        store.changed();
      },
      info: () => ({ ...urls, tenants: [...store.tenants.values()].map((t) => t.tenantId) }),
    }),
  );

  const graphServer = createAdaptorServer({ fetch: root.fetch }) as Server;
  // The TLS listener serves the identity endpoint and, under /v1.0, the same Graph app:
  // @microsoft/microsoft-graph-client only attaches tokens to https:// URLs.
  const tlsRoot = new Hono<GraphEnv>({ getPath: graphPath });
  tlsRoot.route('/v1.0', graphApp);
  tlsRoot.route('/', createIdentityApp(store, settings));
  tlsRoot.notFound((c) => c.json({ error: 'invalid_request', error_description: `The endpoint ${c.req.path} is not served by the SharePoint emulator.` }, 404));
  const identityServer = createAdaptorServer({
    fetch: tlsRoot.fetch,
    createServer: createHttpsServer,
    serverOptions: { key: tls.key, cert: tls.cert },
  }) as Server;

  const graphPort = await listen(graphServer, opts.port ?? 0, host);
  let tokenPort: number;
  try {
    tokenPort = await listen(identityServer, opts.tokenPort ?? 0, host);
  } catch (err) {
    await closeServer(graphServer);
    throw err;
  }
  const graphOrigin = `http://${urlHost(host)}:${graphPort}`;
  urls.graphBaseUrl = `${graphOrigin}/v1.0`;
  urls.adminUrl = `${graphOrigin}/_emulator`;
  urls.authorityHost = `https://${urlHost(host)}:${tokenPort}`;
  initial.graphOrigins = [graphOrigin, urls.authorityHost];
  settings.graphOrigins = initial.graphOrigins;
  logger.info(`sharepoint-emulator: Graph ${urls.graphBaseUrl}, identity ${urls.authorityHost}${loaded ? `, state from ${opts.persistFile}` : ''}`);

  let closed = false;
  return {
    ...urls,
    caCertificatePem: tls.cert,
    async close() {
      if (closed) return;
      closed = true;
      for (const t of timers) clearTimeout(t);
      await Promise.all([closeServer(graphServer), closeServer(identityServer)]);
      persister?.flush();
    },
  };
}
