import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { graphConfigFromConnection, MissingSecretError } from '@syncbridge/shared/connections';
import { schema } from '@syncbridge/shared/db';
import type { GraphGateway } from '@syncbridge/shared/graph';
import type { Logger } from '@syncbridge/shared/logger';
import { CONNECTION_ERROR_CLASSES } from '@syncbridge/shared/net';
import { describeListColumn } from '@syncbridge/shared/mapping';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { assertUsableConnection } from '../lib/connection-rules.ts';
import { apiGatewayOptions, checkConnectionEgress, readWithDeadline, testWithDeadline } from '../lib/graph-calls.ts';
import { ListColumnSchema } from '../lib/list-columns.ts';
import { GRAPH_READ_DEADLINE_MS, GRAPH_TEST_DEADLINE_MS, limitProbes, probeErrorResponses } from '../lib/probes.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';
import { scrubSecretText } from '../lib/secret-text.ts';
import { connectionToResponse } from './sharepoint-connections.ts';

/**
 * Short interactive Graph calls (discovery, connection test) run directly in the
 * API with the connection's own credentials; anything long runs as a workflow.
 */
const security = [{ bearerAuth: [] }];
const json = <T extends z.ZodType>(s: T) => ({ content: { 'application/json': { schema: s } } });
const pathParam = (name: string) =>
  z
    .string()
    .min(1)
    .max(512)
    .openapi({ param: { name, in: 'path' } });
const connectionParams = z.object({
  id: z
    .string()
    .uuid()
    .openapi({ param: { name: 'id', in: 'path' } }),
});

export const Site = z
  .object({ id: z.string(), displayName: z.string().nullable(), webUrl: z.string().nullable(), name: z.string().nullable() })
  .openapi('SharePointSite');
const List = z
  .object({ id: z.string(), displayName: z.string().nullable(), webUrl: z.string().nullable(), template: z.string().nullable() })
  .openapi('SharePointList');
const TestResult = z
  .object({
    ok: z.boolean(),
    stage: z.enum(['token', 'permissions', 'graph', 'done']).openapi({
      description: "Where it stopped; 'permissions': the app lacks the Graph application permission Sites.Manage.All (code missingPermission)",
    }),
    errorClass: z.enum(CONNECTION_ERROR_CLASSES).optional().openapi({
      description: 'When ok is false: what went wrong, as a class (timeout, unreachable, tls, protocol, authentication_failed, permission_denied, ...)',
    }),
    message: z.string(),
    status: z.number().int().optional(),
    code: z.string().optional(),
    warning: z.string().optional().openapi({ description: 'Passed with a caveat, e.g. Sites.Selected (the site grant cannot be checked from the token)' }),
    roles: z.array(z.string()).optional().openapi({ description: "Application permissions in the app's access token (its roles claim)" }),
    connection: z.record(z.string(), z.unknown()),
  })
  .openapi('SharePointConnectionTestResult');

// Live Graph lookups, not stored rows: there is no stable order to put a keyset cursor on, so they answer the whole set.
const NOT_PAGED = 'Not paged (unlike stored lists): the complete answer, read from Microsoft Graph page by page; there is no `nextCursor`.';
const graphUnavailable = {
  503: { description: 'SharePoint is unavailable, throttles past the deadline or did not answer in time', content: commonErrorResponses[500].content },
} as const;
/** What every discovery route says about its limits. */
const LIVE_READ = `A live Graph call: answers within ${GRAPH_READ_DEADLINE_MS / 1000} s (503 \`timeout\` past it), 422 when the egress policy does not allow graphBaseUrl or authorityHost, 429 (with Retry-After) past the per-key rate limit.`;

export function registerSharePointDiscovery(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['SharePoint discovery'];

  async function connection(id: string, log: Logger) {
    const [row] = await db.select().from(schema.sharepointConnections).where(eq(schema.sharepointConnections.id, id));
    if (!row) throw notFound('SharePointConnection', id);
    // A row saved before the create/update rules existed: a 422 naming the field, not a 500 from the identity or Graph layer.
    assertUsableConnection(row);
    // Before anything is sent: an address the egress policy refuses is a 422 naming graphBaseUrl or authorityHost.
    await checkConnectionEgress(deps, row, log);
    try {
      return { row, graph: deps.graph.get(graphConfigFromConnection(row, deps.secrets), apiGatewayOptions(deps)) };
    } catch (err) {
      if (err instanceof MissingSecretError) throw new ApiError(422, ErrorCode.ValidationFailed, err.message);
      throw err;
    }
  }

  /** Graph's answer as the API's, within a deadline: auth trouble and missing things are the caller's to fix, outages and timeouts are 503 (graph-calls.ts). */
  function viaGraph<T>(
    call: (graph: GraphGateway, signal: AbortSignal) => Promise<T>,
    target: { row: { id: string }; graph: GraphGateway },
    log: Logger,
  ): Promise<T> {
    return readWithDeadline(deps, target.row.id, target.graph, call, log);
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sharepoint-connections/{id}/test',
      tags,
      security,
      middleware: [requireRole('operator'), limitProbes(deps, 'graph')] as const,
      summary: 'Acquire a token and read a site; records the result on the connection',
      description: [
        `Answers within ${(GRAPH_TEST_DEADLINE_MS + 2_000) / 1000} s: a token service or Graph that does not answer by then is reported with ok false and errorClass timeout.`,
        "A failure is reported as errorClass and a message of SyncBridge's own; what the identity platform or Graph said is logged, not returned.",
        'An address the egress policy does not allow answers 422 naming graphBaseUrl or authorityHost (nothing is sent). Live calls are rate-limited per API key (429 with Retry-After).',
      ].join(' '),
      request: { params: connectionParams },
      responses: { 200: { description: 'The test ran (see ok)', ...json(TestResult) }, ...commonErrorResponses, ...probeErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { graph } = await connection(id, c.get('log'));
      const tested = await testWithDeadline(deps, id, graph, c.get('log'));
      // Returned and stored where viewers read it: on failure our message for its class (the servers' text is logged), never the secret.
      const result = { ...tested, message: scrubSecretText(tested.ok ? tested.message : (tested.summary ?? 'the test failed'), [graph.config.clientSecret]) };
      const [updated] = await db
        .update(schema.sharepointConnections)
        .set({ status: result.ok ? 'healthy' : 'unhealthy', lastTestAt: new Date(), lastTestError: result.ok ? null : `${result.stage}: ${result.message}` })
        .where(eq(schema.sharepointConnections.id, id))
        .returning();
      c.get('log').info({ connectionId: id, ok: result.ok, stage: result.stage }, 'sharepoint connection tested');
      return c.json(
        {
          ok: result.ok,
          stage: result.stage,
          ...(result.errorClass && !result.ok ? { errorClass: result.errorClass } : {}),
          message: result.message,
          ...(result.status ? { status: result.status } : {}),
          ...(result.code ? { code: result.code } : {}),
          ...(result.warning ? { warning: result.warning } : {}),
          ...(result.roles ? { roles: result.roles } : {}),
          connection: connectionToResponse(updated!),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sharepoint-connections/{id}/sites',
      tags,
      security,
      middleware: [requireRole('viewer'), limitProbes(deps, 'graph')] as const,
      summary: 'Search sites the connection can see',
      description: `${NOT_PAGED} ${LIVE_READ}`,
      request: { params: connectionParams, query: z.object({ search: z.string().max(200).default('*') }) },
      responses: {
        200: { description: 'Sites', ...json(z.object({ items: z.array(Site) })) },
        ...commonErrorResponses,
        ...probeErrorResponses,
        ...graphUnavailable,
      },
    }),
    async (c) => {
      const target = await connection(c.req.valid('param').id, c.get('log'));
      const sites = await viaGraph((g, signal) => g.searchSites(c.req.valid('query').search, signal), target, c.get('log'));
      return c.json({ items: sites.map((s) => ({ id: s.id ?? '', displayName: s.displayName ?? null, webUrl: s.webUrl ?? null, name: s.name ?? null })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sharepoint-connections/{id}/sites/{siteId}/lists',
      tags,
      security,
      middleware: [requireRole('viewer'), limitProbes(deps, 'graph')] as const,
      summary: 'Lists of a site',
      description: `${NOT_PAGED} ${LIVE_READ}`,
      request: { params: connectionParams.extend({ siteId: pathParam('siteId') }) },
      responses: {
        200: { description: 'Lists', ...json(z.object({ items: z.array(List) })) },
        ...commonErrorResponses,
        ...probeErrorResponses,
        ...graphUnavailable,
      },
    }),
    async (c) => {
      const { id, siteId } = c.req.valid('param');
      const target = await connection(id, c.get('log'));
      const lists = await viaGraph((g, signal) => g.listLists(siteId, signal), target, c.get('log'));
      return c.json(
        { items: lists.map((l) => ({ id: l.id ?? '', displayName: l.displayName ?? null, webUrl: l.webUrl ?? null, template: l.list?.template ?? null })) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sharepoint-connections/{id}/sites/{siteId}/lists/{listId}/columns',
      tags,
      security,
      middleware: [requireRole('viewer'), limitProbes(deps, 'graph')] as const,
      summary: 'Columns of a list',
      description: [
        "The list's columns as Graph reports them, with their options (maxLength, decimalPlaces, format, choices, indexed, enforceUniqueValues, ...)",
        'under the same names a field-mapping proposal and a saved mapping use in `listColumn`, so what provisioning was to create and what the list has can be compared.',
        NOT_PAGED,
        LIVE_READ,
      ].join(' '),
      request: { params: connectionParams.extend({ siteId: pathParam('siteId'), listId: pathParam('listId') }) },
      responses: {
        200: { description: 'Columns', ...json(z.object({ items: z.array(ListColumnSchema) })) },
        ...commonErrorResponses,
        ...probeErrorResponses,
        ...graphUnavailable,
      },
    }),
    async (c) => {
      const { id, siteId, listId } = c.req.valid('param');
      const target = await connection(id, c.get('log'));
      const columns = await viaGraph((g, signal) => g.listColumns(siteId, listId, signal), target, c.get('log'));
      return c.json({ items: columns.map(describeListColumn) }, 200);
    },
  );
}
