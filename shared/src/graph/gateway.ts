import { Client } from '@microsoft/microsoft-graph-client';
import type { ColumnDefinition, FieldValueSet, List, ListItem, Site } from '@microsoft/microsoft-graph-types';
import { createLogger } from '../observability/logger.ts';
import { createCredential, createTokenProvider, type GraphTokenProvider } from './auth.ts';
import { executeBatch, type BatchOptions, type BatchResult } from './batch.ts';
import type { BatchRequest } from './batch-plan.ts';
import { budgetFor, type BudgetSnapshot } from './budget.ts';
import type { RuBudget } from './shared-budget.ts';
import { GraphTransport, type GraphRequestSpec, type GraphResponse } from './client.ts';
import { connectionKey, resolveGraphConfig, userAgent, type GraphConnectionConfig, type ResolvedGraphConfig } from './config.ts';
import { iterateItemsDelta, listItemsDelta, type DeltaOptions, type DeltaPage, type DeltaResult } from './delta.ts';
import { classifyGraphError } from './classify.ts';
import { GraphError } from './errors.ts';
import type { ConnectionTestResult, GraphGatewayOptions, ListItemsOptions, NewList } from './gateway-types.ts';
import { AuthMiddleware, DecorationMiddleware, NodeHttpHandler, createAgents, type HttpAgents } from './http.ts';
import * as items from './items.ts';
import { checkAppPermissions, tokenRoles } from './permissions.ts';
import { clampTop, collectPages, iteratePages, queryString, segment } from './paging.ts';

/**
 * The Graph gateway for one SharePoint connection: one credential, one Graph client,
 * one pair of keep-alive agents, and the process-wide RU budget of its tenant+app.
 * Activities and the API call Graph only through this class.
 */

export type { ConnectionTestResult, GraphGatewayOptions, ListItemsOptions, NewList };

/** RU of a full `$batch` envelope of writes (20 sub-requests at 2 RU). */
const ENVELOPE_RU = 40;
const MAX_CONCURRENCY = 8;

export class GraphGateway {
  private constructor(
    readonly config: ResolvedGraphConfig,
    readonly transport: GraphTransport,
    private readonly tokens: GraphTokenProvider,
    private readonly agents: HttpAgents,
    private readonly fixedConcurrency: number | undefined,
  ) {}

  static create(connection: GraphConnectionConfig, options: GraphGatewayOptions = {}): GraphGateway {
    const config = resolveGraphConfig(connection);
    // The caller's logger (configured from the environment by its service); a default one otherwise.
    const logger = (options.logger ?? createLogger({ service: 'syncbridge-graph', level: 'info' })).child({
      connectionId: config.connectionId,
    });
    const ua = userAgent(options.appVersion);
    const agents = createAgents(config.caCertificatePem, undefined, options.egress);
    const custom = options.credential;
    // Identity traffic goes through the same guarded agent as Graph's (egress policy, extra CA).
    const makeCredential = () => (typeof custom === 'function' ? custom() : (custom ?? createCredential(config, ua, agents.https)));
    const tokens = createTokenProvider(config, makeCredential, agents.https);
    const client = Client.initWithMiddleware({
      baseUrl: config.graphHost,
      defaultVersion: config.graphVersion,
      middleware: [
        new AuthMiddleware(tokens, config.graphOrigin),
        new DecorationMiddleware(ua),
        new NodeHttpHandler(agents, options.requestTimeoutMs ?? 100_000),
      ],
    });
    const window = {
      ...(options.budgetWindowMs !== undefined ? { windowMs: options.budgetWindowMs } : {}),
      ...(options.budgetMarginMs !== undefined ? { marginMs: options.budgetMarginMs } : {}),
    };
    // With a meta-store, one budget for every process of the app in the tenant; without one (tools, unit tests), this process's.
    const budget: RuBudget = options.budgetStore
      ? options.budgetStore.budgetFor(connectionKey(config), {
          ruPerMinute: config.ruPerMinute,
          ruPerDay: config.ruPerDay,
          bulkShare: config.bulkShare,
          ...window,
        })
      : budgetFor(connectionKey(config), config.ruPerMinute, window);
    const transport = new GraphTransport(config, client, budget, logger, {
      maxAttempts: options.maxAttempts ?? 6,
      defaultThrottleMs: options.defaultThrottleMs ?? 10_000,
      backoffBaseMs: options.backoffBaseMs ?? 500,
      onUnauthorized: () => tokens.invalidate(),
      ...(options.maxThrottleWaitMs !== undefined ? { maxThrottleWaitMs: options.maxThrottleWaitMs } : {}),
    });
    return new GraphGateway(config, transport, tokens, agents, options.batchConcurrency);
  }

  /**
   * `$batch` envelopes in flight: enough to spend the budget at the measured latency (Little's law:
   * in flight = rate x latency, with half again as headroom), at least 1 and at most 8. At 1,250 RU/min
   * and ~1 s per envelope of 20 writes (40 RU) that is 1: more would only wait for budget, holding
   * rows in memory; unthrottled it grows to 8. A fixed `batchConcurrency` option overrides it.
   */
  batchConcurrency(): number {
    if (this.fixedConcurrency !== undefined) return this.fixedConcurrency;
    const envelopesPerSecond = this.transport.budget.ruPerMinute / 60 / ENVELOPE_RU;
    const wanted = Math.ceil(envelopesPerSecond * (this.transport.latencyMs() / 1000) * 1.5);
    return Math.min(MAX_CONCURRENCY, Math.max(1, wanted));
  }

  get connectionId(): string {
    return this.config.connectionId;
  }

  /** Low-level escape hatch: one Graph call with budget, retries and tracing. */
  request<T = unknown>(spec: GraphRequestSpec): Promise<GraphResponse<T>> {
    return this.transport.send<T>(spec);
  }

  /**
   * Acquires a token, checks its application permissions, then reads a site (the given
   * one, or the tenant root). Never throws and never includes the secret. An app without
   * Sites.Manage.All (or Sites.FullControl.All) fails at stage `permissions`, naming the
   * permission: SyncBridge creates lists and columns. With `Sites.Selected` the root site
   * is usually forbidden (pass the connection's site) and the site grant cannot be seen in
   * the token, so that passes with a warning.
   */
  async testConnection(options: { siteId?: string; signal?: AbortSignal } = {}): Promise<ConnectionTestResult> {
    let token: string;
    try {
      token = await this.tokens.getAccessToken(options.signal);
    } catch (error) {
      const e = error instanceof GraphError ? error : undefined;
      return {
        ok: false,
        stage: 'token',
        status: e?.status ?? 0,
        code: e?.code ?? 'authenticationFailed',
        message: e?.message ?? String(error),
        ...this.classified(error),
      };
    }
    const permissions = checkAppPermissions(tokenRoles(token));
    const finish = (result: ConnectionTestResult): ConnectionTestResult => {
      const withRoles = permissions.roles ? { ...result, roles: permissions.roles } : result;
      if (!result.ok) return withRoles;
      if (permissions.missing) {
        const { status: _status, code: _code, ...rest } = withRoles;
        return {
          ...rest,
          ok: false,
          stage: 'permissions',
          code: 'missingPermission',
          message: permissions.missing,
          errorClass: 'permission_denied',
          summary: permissions.missing,
        };
      }
      const warning = [result.warning, permissions.warning].filter(Boolean).join('; ');
      return warning ? { ...withRoles, warning } : withRoles;
    };
    try {
      const site = await this.getSite(options.siteId ?? 'root', options.signal);
      return finish({
        ok: true,
        stage: 'done',
        message: 'Token acquired and site readable',
        site: { id: site.id as string, webUrl: site.webUrl ?? undefined, displayName: site.displayName ?? undefined },
      });
    } catch (error) {
      if (!(error instanceof GraphError)) throw error;
      if (!options.siteId && (error.status === 403 || error.status === 404)) {
        // The credentials work; an app granted Sites.Selected cannot read the root site.
        return finish({
          ok: true,
          stage: 'done',
          status: error.status,
          code: error.code,
          message: 'Token acquired',
          warning: `The tenant root site is not readable by this app (${error.status} ${error.code}); pass the connection's site to check access to it`,
        });
      }
      return finish({
        ok: false,
        stage: 'graph',
        status: error.status,
        code: error.code,
        message: error.message,
        ...(error.requestId ? { requestId: error.requestId } : {}),
        ...this.classified(error),
      });
    }
  }

  /** A failure as a class and a message of our own (classify.ts), for API answers and stored health. */
  private classified(error: unknown): Pick<ConnectionTestResult, 'errorClass' | 'summary'> {
    const { errorClass, message } = classifyGraphError(error, this.config);
    return { errorClass, summary: message };
  }

  async searchSites(query: string, signal?: AbortSignal): Promise<Site[]> {
    return collectPages(iteratePages<Site>(this.transport, `/sites${queryString({ search: query })}`, '/sites?search', signal ? { signal } : {}));
  }

  async getSite(siteId: string, signal?: AbortSignal): Promise<Site> {
    return (await this.transport.send<Site>({ method: 'GET', path: `/sites/${segment(siteId)}`, template: '/sites/{site-id}', ...(signal ? { signal } : {}) }))
      .body;
  }

  /** `GET /sites/{hostname}:/{server-relative-path}`, e.g. ('contoso.sharepoint.com', '/sites/syncbridge'). */
  async getSiteByPath(hostname: string, path: string): Promise<Site> {
    const relative = path.split('/').filter(Boolean).map(segment).join('/');
    return (await this.transport.send<Site>({ method: 'GET', path: `/sites/${segment(hostname)}:/${relative}`, template: '/sites/{hostname}:/{path}' })).body;
  }

  async listLists(siteId: string, signal?: AbortSignal): Promise<List[]> {
    return collectPages(iteratePages<List>(this.transport, `/sites/${segment(siteId)}/lists`, '/sites/{site-id}/lists', signal ? { signal } : {}));
  }

  /** A list by id or display name; null when it does not exist (provisioning adopts or creates). */
  async getList(siteId: string, idOrName: string): Promise<List | null> {
    const response = await this.transport.send<List>({
      method: 'GET',
      path: `/sites/${segment(siteId)}/lists/${segment(idOrName)}`,
      template: '/sites/{site-id}/lists/{list-id}',
      acceptStatuses: [404],
    });
    return response.status === 404 ? null : response.body;
  }

  /** Not idempotent (a second call answers 409): check `getList` first. */
  async createList(siteId: string, list: NewList): Promise<List> {
    const body = {
      displayName: list.displayName,
      ...(list.description ? { description: list.description } : {}),
      columns: list.columns ?? [],
      list: { template: list.template ?? 'genericList' },
    };
    return (await this.transport.send<List>({ method: 'POST', path: `/sites/${segment(siteId)}/lists`, template: '/sites/{site-id}/lists', body })).body;
  }

  async listColumns(siteId: string, listId: string, signal?: AbortSignal): Promise<ColumnDefinition[]> {
    return collectPages(
      iteratePages<ColumnDefinition>(
        this.transport,
        `/sites/${segment(siteId)}/lists/${segment(listId)}/columns`,
        '/sites/{site-id}/lists/{list-id}/columns',
        signal ? { signal } : {},
      ),
    );
  }

  async createColumn(siteId: string, listId: string, column: ColumnDefinition): Promise<ColumnDefinition> {
    return (
      await this.transport.send<ColumnDefinition>({
        method: 'POST',
        path: `/sites/${segment(siteId)}/lists/${segment(listId)}/columns`,
        template: '/sites/{site-id}/lists/{list-id}/columns',
        body: column,
      })
    ).body;
  }

  /** Pages of items (async iterable), following `@odata.nextLink`. */
  listItems(siteId: string, listId: string, options: ListItemsOptions = {}): AsyncIterable<ListItem[]> {
    const expand = options.fields?.length ? `fields($select=${options.fields.join(',')})` : 'fields';
    const path =
      `/sites/${segment(siteId)}/lists/${segment(listId)}/items` +
      queryString({ $expand: expand, $select: options.select?.join(','), $filter: options.filter, $orderby: options.orderby, $top: clampTop(options.top) });
    return iteratePages<ListItem>(this.transport, path, '/sites/{site-id}/lists/{list-id}/items', {
      ...(options.preferNonIndexed ? { headers: { Prefer: items.HONOR_NON_INDEXED } } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  /** One item with its fields; null when it does not exist. */
  async getItem(siteId: string, listId: string, itemId: string, options: { fields?: string[] } = {}): Promise<ListItem | null> {
    const expand = options.fields?.length ? `fields($select=${options.fields.join(',')})` : 'fields';
    const response = await this.transport.send<ListItem>({
      method: 'GET',
      path: `/sites/${segment(siteId)}/lists/${segment(listId)}/items/${segment(itemId)}${queryString({ $expand: expand })}`,
      template: '/sites/{site-id}/lists/{list-id}/items/{item-id}',
      acceptStatuses: [404],
    });
    return response.status === 404 ? null : response.body;
  }

  /**
   * `PATCH .../items/{id}/fields`. With `ifMatch` the service answers 412 when the item
   * changed since that eTag was read: thrown as `GraphConflictError`.
   */
  async updateItemFields(
    siteId: string,
    listId: string,
    itemId: string,
    fields: Record<string, unknown>,
    options: { ifMatch?: string } = {},
  ): Promise<{ fields: FieldValueSet; etag: string | undefined }> {
    const response = await this.transport.send<FieldValueSet & { '@odata.etag'?: string }>({
      method: 'PATCH',
      path: `/sites/${segment(siteId)}/lists/${segment(listId)}/items/${segment(itemId)}/fields`,
      template: '/sites/{site-id}/lists/{list-id}/items/{item-id}/fields',
      body: fields,
      ...(options.ifMatch ? { headers: { 'If-Match': options.ifMatch } } : {}),
    });
    return { fields: response.body, etag: response.headers.get('ETag') ?? response.body?.['@odata.etag'] };
  }

  executeBatch(requests: readonly BatchRequest[], options: BatchOptions = {}): Promise<BatchResult[]> {
    return executeBatch(this.transport, requests, { concurrency: this.batchConcurrency(), ...options });
  }

  createItems(siteId: string, listId: string, toCreate: readonly items.ItemCreate[], options: items.CreateItemsOptions = {}): Promise<BatchResult[]> {
    return items.createItems(this.transport, siteId, listId, toCreate, { concurrency: this.batchConcurrency(), ...options });
  }

  updateItems(siteId: string, listId: string, updates: readonly items.ItemUpdate[], options: BatchOptions = {}): Promise<BatchResult[]> {
    return items.updateItems(this.transport, siteId, listId, updates, { concurrency: this.batchConcurrency(), ...options });
  }

  deleteItems(siteId: string, listId: string, deletes: readonly items.ItemDelete[], options: BatchOptions = {}): Promise<BatchResult[]> {
    return items.deleteItems(this.transport, siteId, listId, deletes, { concurrency: this.batchConcurrency(), ...options });
  }

  listItemsDelta(siteId: string, listId: string, deltaLinkOrToken?: string, options: DeltaOptions = {}): Promise<DeltaResult> {
    return listItemsDelta(this.transport, siteId, listId, deltaLinkOrToken, options);
  }

  /** Page-by-page delta for bounded memory; throws `DeltaTokenExpiredError` on 410. */
  iterateItemsDelta(siteId: string, listId: string, deltaLinkOrToken?: string, options: DeltaOptions = {}): AsyncGenerator<DeltaPage, void, undefined> {
    return iterateItemsDelta(this.transport, siteId, listId, deltaLinkOrToken, options);
  }

  budgetSnapshot(): BudgetSnapshot {
    return this.transport.budget.snapshot();
  }

  /** Closes the connection's sockets. The shared budget stays (other gateways may use it). */
  close(): void {
    this.agents.destroy();
  }
}
