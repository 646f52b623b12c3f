import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { graphConfigFromConnection, MissingSecretError } from '@syncbridge/shared/connections';
import { schema } from '@syncbridge/shared/db';
import { GraphError, type GraphGateway } from '@syncbridge/shared/graph';
import { describeListColumn } from '@syncbridge/shared/mapping';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { ListColumnSchema } from '../lib/list-columns.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';
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

const Site = z
  .object({ id: z.string(), displayName: z.string().nullable(), webUrl: z.string().nullable(), name: z.string().nullable() })
  .openapi('SharePointSite');
const List = z
  .object({ id: z.string(), displayName: z.string().nullable(), webUrl: z.string().nullable(), template: z.string().nullable() })
  .openapi('SharePointList');
const TestResult = z
  .object({
    ok: z.boolean(),
    stage: z.enum(['token', 'graph', 'done']),
    message: z.string(),
    status: z.number().int().optional(),
    code: z.string().optional(),
    connection: z.record(z.string(), z.unknown()),
  })
  .openapi('SharePointConnectionTestResult');

// Live Graph lookups, not stored rows: there is no stable order to put a keyset cursor on, so they answer the whole set.
const NOT_PAGED = 'Not paged (unlike stored lists): the complete answer, read from Microsoft Graph page by page; there is no `nextCursor`.';

export function registerSharePointDiscovery(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['SharePoint discovery'];

  async function connection(id: string) {
    const [row] = await db.select().from(schema.sharepointConnections).where(eq(schema.sharepointConnections.id, id));
    if (!row) throw notFound('SharePointConnection', id);
    try {
      return { row, graph: deps.graph.get(graphConfigFromConnection(row, deps.secrets), { logger: deps.logger, maxAttempts: 3 }) };
    } catch (err) {
      if (err instanceof MissingSecretError) throw new ApiError(422, ErrorCode.ValidationFailed, err.message);
      throw err;
    }
  }

  /** Graph's answer as the API's: auth trouble and missing things are the caller's to fix, outages are 503. */
  async function viaGraph<T>(call: (graph: GraphGateway) => Promise<T>, graph: GraphGateway): Promise<T> {
    try {
      return await call(graph);
    } catch (err) {
      if (!(err instanceof GraphError)) throw err;
      if (err.status === 404) throw new ApiError(404, ErrorCode.NotFound, `SharePoint says: ${err.message}`);
      if (err.status === 401 || err.status === 403)
        throw new ApiError(422, ErrorCode.ValidationFailed, `SharePoint refused the connection's credentials (${err.status} ${err.code}): ${err.message}`);
      if (err.status >= 400 && err.status < 500 && err.status !== 429)
        throw new ApiError(422, ErrorCode.ValidationFailed, `SharePoint refused the request (${err.status} ${err.code}): ${err.message}`);
      throw new ApiError(503, ErrorCode.Unavailable, `SharePoint is unavailable (${err.status} ${err.code}): ${err.message}`);
    }
  }

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/sharepoint-connections/{id}/test',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Acquire a token and read a site; records the result on the connection',
      request: { params: connectionParams },
      responses: { 200: { description: 'The test ran (see ok)', ...json(TestResult) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { graph } = await connection(id);
      const result = await graph.testConnection();
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
          message: result.message,
          ...(result.status ? { status: result.status } : {}),
          ...(result.code ? { code: result.code } : {}),
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
      middleware: [requireRole('viewer')] as const,
      summary: 'Search sites the connection can see',
      description: NOT_PAGED,
      request: { params: connectionParams, query: z.object({ search: z.string().max(200).default('*') }) },
      responses: { 200: { description: 'Sites', ...json(z.object({ items: z.array(Site) })) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { graph } = await connection(c.req.valid('param').id);
      const sites = await viaGraph((g) => g.searchSites(c.req.valid('query').search), graph);
      return c.json({ items: sites.map((s) => ({ id: s.id ?? '', displayName: s.displayName ?? null, webUrl: s.webUrl ?? null, name: s.name ?? null })) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sharepoint-connections/{id}/sites/{siteId}/lists',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'Lists of a site',
      description: NOT_PAGED,
      request: { params: connectionParams.extend({ siteId: pathParam('siteId') }) },
      responses: { 200: { description: 'Lists', ...json(z.object({ items: z.array(List) })) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id, siteId } = c.req.valid('param');
      const { graph } = await connection(id);
      const lists = await viaGraph((g) => g.listLists(siteId), graph);
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
      middleware: [requireRole('viewer')] as const,
      summary: 'Columns of a list',
      description: [
        "The list's columns as Graph reports them, with their options (maxLength, decimalPlaces, format, choices, indexed, enforceUniqueValues, ...)",
        'under the same names a field-mapping proposal and a saved mapping use in `listColumn`, so what provisioning was to create and what the list has can be compared.',
        NOT_PAGED,
      ].join(' '),
      request: { params: connectionParams.extend({ siteId: pathParam('siteId'), listId: pathParam('listId') }) },
      responses: { 200: { description: 'Columns', ...json(z.object({ items: z.array(ListColumnSchema) })) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id, siteId, listId } = c.req.valid('param');
      const { graph } = await connection(id);
      const columns = await viaGraph((g) => g.listColumns(siteId, listId), graph);
      return c.json({ items: columns.map(describeListColumn) }, 200);
    },
  );
}
