/* eslint-disable @typescript-eslint/no-explicit-any -- handlers are generic over each spec's route; the specs keep the typed surface. */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { and, eq, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { keysetAfter, keysetOrder, toPage } from '@syncbridge/shared/db';
import type { MetaDb } from '@syncbridge/shared/db';
import type { ApiDeps, AppEnv, Role } from './context.ts';
import { requireRole } from './auth.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound, type FieldError } from './problem.ts';

/**
 * One resource = one spec: the CRUD routes, their OpenAPI contract and the shared
 * behaviour (role checks, keyset pagination, parent scoping, problem errors) come
 * from here, so every resource behaves the same way.
 */
type Table = PgTable & { id: PgColumn; createdAt: PgColumn };
type Row = Record<string, unknown> & { id: string; createdAt: Date };
type ZObject = z.ZodObject<z.ZodRawShape>;
type Tx = Parameters<Parameters<MetaDb['transaction']>[0]>[0];

export interface CrudSpec<R extends Row, C, U> {
  basePath: string;
  tag: string;
  singular: string;
  table: Table;
  response: ZObject;
  create: z.ZodType<C>;
  update: z.ZodType<U>;
  writeRole: Role;
  /** Nested resources: the path parameter naming the parent, and its column here. */
  parent?: { param: string; column: PgColumn; table: Table; singular: string };
  listFilters?: Record<string, { column: PgColumn; schema: z.ZodType<string | undefined> }>;
  toResponse(row: R): Record<string, unknown>;
  toInsert(body: C, deps: ApiDeps, parentId?: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  toPatch(body: U, deps: ApiDeps, existing: R): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** Rules over the whole resource after a patch is merged (create checks them in its schema). */
  validateMerged?(merged: R): FieldError[];
  /** Side effects after a create or update (e.g. Temporal schedules); also run on an empty patch, so a retry converges. */
  afterWrite?(row: R, deps: ApiDeps, body: Record<string, unknown>): Promise<void>;
  afterDelete?(row: R, deps: ApiDeps): Promise<void>;
  /**
   * Runs inside the write's transaction, before it: e.g. locks the definition and refuses the
   * write while an operation that reads it is active. `existing` on update and delete.
   */
  guardWrite?(tx: Tx, w: { op: 'create' | 'update' | 'delete'; parentId?: string | undefined; existing?: R; patch?: Record<string, unknown> }): Promise<void>;
  /** Adds fields derived from more than the row (e.g. from the source schema) to response bodies, in row order. */
  decorate?(rows: R[], bodies: Array<Record<string, unknown>>): Promise<Array<Record<string, unknown>>>;
}

const security = [{ bearerAuth: [] }];

/** The paging parameters of every list (README: "Lists use keyset pagination"), so they all take the same bounds. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Page size (1-200)' }),
  cursor: z.string().optional().openapi({ description: 'nextCursor from the previous page' }),
};

const idParam = z
  .string()
  .uuid()
  .openapi({ param: { name: 'id', in: 'path' }, example: '00000000-0000-4000-8000-000000000000' });

export function registerCrud<R extends Row, C, U>(app: OpenAPIHono<AppEnv>, deps: ApiDeps, spec: CrudSpec<R, C, U>): void {
  const { db } = deps.store;
  const table = spec.table;
  const parentParams = spec.parent
    ? {
        [spec.parent.param]: z
          .string()
          .uuid()
          .openapi({ param: { name: spec.parent.param, in: 'path' } }),
      }
    : {};
  const openapiPath = spec.basePath.replace(/\{(\w+)\}/g, '{$1}');
  const honoPath = (suffix = '') => openapiPath + suffix;
  const pageSchema = z.object({ items: z.array(spec.response), nextCursor: z.string().nullable() }).openapi(`${spec.singular}Page`);
  const json = (schema: z.ZodType) => ({ content: { 'application/json': { schema } } });
  const errors = commonErrorResponses;
  const respond = async (rows: R[]) => {
    const bodies = rows.map((r) => spec.toResponse(r));
    return spec.decorate && rows.length ? spec.decorate(rows, bodies) : bodies;
  };
  const respondOne = async (row: R) => (await respond([row]))[0];

  const scope = (params: Record<string, string>): SQL | undefined => (spec.parent ? eq(spec.parent.column, params[spec.parent.param] as string) : undefined);

  async function assertParent(params: Record<string, string>) {
    if (!spec.parent) return undefined;
    const parentId = params[spec.parent.param] as string;
    const [found] = await db.select({ id: spec.parent.table.id }).from(spec.parent.table).where(eq(spec.parent.table.id, parentId)).limit(1);
    if (!found) throw notFound(spec.parent.singular, parentId);
    return parentId;
  }

  async function load(params: Record<string, string>, id: string): Promise<R> {
    const [row] = await db
      .select()
      .from(table)
      .where(and(eq(table.id, id), scope(params)))
      .limit(1);
    if (!row) throw notFound(spec.singular, id);
    return row as R;
  }

  const listQuery = z.object({
    ...pageQuery,
    ...Object.fromEntries(Object.entries(spec.listFilters ?? {}).map(([k, f]) => [k, f.schema])),
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: honoPath(),
      tags: [spec.tag],
      security,
      summary: `List ${spec.tag.toLowerCase()}`,
      middleware: [requireRole('viewer')] as const,
      request: { params: z.object(parentParams), query: listQuery },
      responses: { 200: { description: `A page of ${spec.tag.toLowerCase()}`, ...json(pageSchema) }, ...errors },
    }),
    (async (c: any) => {
      const params = c.req.valid('param') as Record<string, string>;
      const query = c.req.valid('query') as Record<string, unknown> & { limit: number; cursor?: string };
      await assertParent(params);
      const filters = Object.entries(spec.listFilters ?? {})
        .filter(([k]) => query[k] !== undefined)
        .map(([k, f]) => eq(f.column, query[k] as string));
      const rows = await db
        .select()
        .from(table)
        .where(and(scope(params), keysetAfter(table, query.cursor), ...filters))
        .orderBy(...keysetOrder(table))
        .limit(query.limit + 1);
      const page = toPage(rows as R[], query.limit);
      return c.json({ items: await respond(page.items), nextCursor: page.nextCursor }, 200);
    }) as never,
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: honoPath(),
      tags: [spec.tag],
      security,
      summary: `Create a ${spec.singular}`,
      middleware: [requireRole(spec.writeRole)] as const,
      request: { params: z.object(parentParams), body: { required: true, ...json(spec.create) } },
      responses: { 201: { description: `The created ${spec.singular}`, ...json(spec.response) }, ...errors },
    }),
    (async (c: any) => {
      const params = c.req.valid('param') as Record<string, string>;
      const parentId = await assertParent(params);
      const values = await spec.toInsert(c.req.valid('json') as C, deps, parentId);
      if (spec.parent && parentId) values[columnKey(table, spec.parent.column)] = parentId;
      const [row] = await db.transaction(async (tx) => {
        await spec.guardWrite?.(tx, { op: 'create', parentId });
        return tx
          .insert(table)
          .values(values as never)
          .returning();
      });
      c.get('log').info({ resource: spec.singular, id: (row as R).id }, 'created');
      await spec.afterWrite?.(row as R, deps, c.req.valid('json') as Record<string, unknown>);
      return c.json(await respondOne(row as R), 201);
    }) as never,
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: honoPath('/{id}'),
      tags: [spec.tag],
      security,
      summary: `Get a ${spec.singular}`,
      middleware: [requireRole('viewer')] as const,
      request: { params: z.object({ ...parentParams, id: idParam }) },
      responses: { 200: { description: `The ${spec.singular}`, ...json(spec.response) }, ...errors },
    }),
    (async (c: any) => {
      const params = c.req.valid('param') as Record<string, string>;
      return c.json(await respondOne(await load(params, params.id as string)), 200);
    }) as never,
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: honoPath('/{id}'),
      tags: [spec.tag],
      security,
      summary: `Update a ${spec.singular}`,
      middleware: [requireRole(spec.writeRole)] as const,
      request: { params: z.object({ ...parentParams, id: idParam }), body: { required: true, ...json(spec.update) } },
      responses: { 200: { description: `The updated ${spec.singular}`, ...json(spec.response) }, ...errors },
    }),
    (async (c: any) => {
      const params = c.req.valid('param') as Record<string, string>;
      const existing = await load(params, params.id as string);
      const patch = await spec.toPatch(c.req.valid('json') as U, deps, existing);
      const merged = { ...existing, ...patch } as R;
      const problems = spec.validateMerged?.(merged) ?? [];
      if (problems.length) {
        throw new ApiError(400, ErrorCode.ValidationFailed, `invalid request: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, problems);
      }
      if (Object.keys(patch).length === 0) {
        await spec.afterWrite?.(existing, deps, c.req.valid('json') as Record<string, unknown>);
        return c.json(await respondOne(existing), 200);
      }
      const [row] = await db.transaction(async (tx) => {
        await spec.guardWrite?.(tx, { op: 'update', existing, patch });
        return tx
          .update(table)
          .set(patch as never)
          .where(eq(table.id, existing.id))
          .returning();
      });
      c.get('log').info({ resource: spec.singular, id: existing.id, fields: Object.keys(patch) }, 'updated');
      await spec.afterWrite?.(row as R, deps, c.req.valid('json') as Record<string, unknown>);
      return c.json(await respondOne(row as R), 200);
    }) as never,
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: honoPath('/{id}'),
      tags: [spec.tag],
      security,
      summary: `Delete a ${spec.singular}`,
      middleware: [requireRole(spec.writeRole)] as const,
      request: { params: z.object({ ...parentParams, id: idParam }) },
      responses: { 204: { description: 'Deleted' }, ...errors },
    }),
    (async (c: any) => {
      const params = c.req.valid('param') as Record<string, string>;
      const existing = await load(params, params.id as string);
      await db.transaction(async (tx) => spec.guardWrite?.(tx, { op: 'delete', existing }));
      await spec.afterDelete?.(existing, deps);
      await db.transaction(async (tx) => {
        await spec.guardWrite?.(tx, { op: 'delete', existing });
        await tx.delete(table).where(eq(table.id, existing.id));
      });
      c.get('log').info({ resource: spec.singular, id: existing.id }, 'deleted');
      return c.body(null, 204);
    }) as never,
  );
}

/** The property name drizzle uses for a column of a table (for setting the parent id). */
function columnKey(table: Table, column: PgColumn): string {
  for (const [key, value] of Object.entries(table)) if (value === column) return key;
  throw new Error(`column ${column.name} is not on the table`);
}
