import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { encodeCursor, keysetAfter, keysetOrder, pageOf, schema } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { requireRole } from '../lib/auth.ts';
import { bearerSecurity, jsonContent, uuidPathParam } from '../lib/openapi-route.ts';
import { pageQuery } from '../lib/crud.ts';
import { OperationTicketSchema, operationRequests } from '../lib/operation-request.ts';
import { ApiError, commonErrorResponses, ErrorCode, notFound } from '../lib/problem.ts';

/*
 * Conflicts the `manual` policy left to a person (a row and its list item both changed since
 * their last sync): listed with both versions, then resolved (the table's version, the list's,
 * or values merged by hand) or dismissed. A resolution is applied by the next ingress run of the
 * definition, which resolving asks for: the chosen values are written to the table and to the
 * list item, and the ledger records them, so neither direction sends them back.
 */

const security = bearerSecurity;
const json = jsonContent;
const definitionParam = uuidPathParam('id');
const conflictParam = uuidPathParam('conflictId');

const STATUSES = ['open', 'resolved', 'dismissed'] as const;
const KEEPS = ['source', 'list', 'merged'] as const;

const ConflictResolution = z
  .object({
    keep: z.enum(KEEPS),
    values: z.record(z.string(), z.unknown()).optional().openapi({ description: "keep 'merged': the values written, by source column" }),
    by: z.string().openapi({ description: 'Name of the API key that resolved the conflict' }),
    at: z.string().datetime(),
    appliedAt: z.string().datetime().nullable().openapi({ description: 'When an ingress run wrote the resolution to the table and the list; null until then' }),
    error: z.string().optional().openapi({ description: 'Why the last attempt to apply it failed (it is tried again by the next ingress run)' }),
  })
  .passthrough()
  .openapi('ConflictResolution');

const Conflict = z
  .object({
    id: z.string().uuid(),
    definitionId: z.string().uuid(),
    sourceKey: z.string(),
    status: z.enum(STATUSES),
    sourceValue: z.unknown().nullable().openapi({ description: 'The row as ingress read it (source column -> value); null when the row had been deleted' }),
    listValue: z.unknown().nullable().openapi({ description: "The list item's fields as ingress read them (SharePoint internal column name -> value)" }),
    resolution: ConflictResolution.nullable(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Conflict');

const ConflictPage = z
  .object({ items: z.array(Conflict), nextCursor: z.string().nullable().openapi({ description: 'Pass as `cursor` for the next page; null on the last page' }) })
  .openapi('ConflictPage');

/** A value of a merged resolution: a JSON scalar, or the column's canonical text (dates, decimals, JSON as text). */
const MergedValue = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const ResolveBody = z
  .object({
    keep: z.enum(KEEPS).openapi({
      description:
        "source: the table's row is written to the list item; list: the item's values are written to the row; merged: `values` are written to the row, then the row to the item",
    }),
    values: z.record(z.string(), MergedValue).optional().openapi({
      description:
        "Required with keep 'merged', refused otherwise: source column -> value as the table takes it (a JSON scalar, or the column's canonical text such as '2024-05-01', '12.50'). Only mapped, non-key columns; columns not named keep the table's value.",
    }),
  })
  .strict()
  .openapi('ResolveConflict');

const Resolved = z.object({ conflict: Conflict, ticket: OperationTicketSchema }).openapi('ConflictResolved');

type ConflictRow = typeof schema.conflicts.$inferSelect;

function parseResolution(text: string | null): z.infer<typeof ConflictResolution> | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as z.infer<typeof ConflictResolution>) : null;
  } catch {
    return null;
  }
}

const view = (r: ConflictRow) => ({
  id: r.id,
  definitionId: r.definitionId,
  sourceKey: r.sourceKey,
  status: r.status,
  sourceValue: r.sourceValue ?? null,
  listValue: r.listValue ?? null,
  resolution: parseResolution(r.resolution),
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export function registerConflicts(app: App, deps: ApiDeps) {
  const { db } = deps.store;
  const tags = ['Sync runs'];
  const { ask, assertOperationAllowed } = operationRequests(deps);
  const loadDefinition = async (id: string) => {
    const [def] = await db.select().from(schema.syncDefinitions).where(eq(schema.syncDefinitions.id, id));
    if (!def) throw notFound('SyncDefinition', id);
    return def;
  };
  const loadConflict = async (id: string) => {
    const [row] = await db.select().from(schema.conflicts).where(eq(schema.conflicts.id, id));
    if (!row) throw notFound('Conflict', id);
    return row;
  };
  const notOpen = (row: ConflictRow) =>
    new ApiError(409, ErrorCode.Conflict, `conflict ${row.id} is ${row.status}; only an open conflict can be resolved or dismissed`);
  /** Moves an open conflict to its new status; 409 when someone else settled it first. */
  const settle = async (row: ConflictRow, status: 'resolved' | 'dismissed', resolution: string | null) => {
    const [updated] = await db
      .update(schema.conflicts)
      .set({ status, resolution, updatedAt: new Date() })
      .where(and(eq(schema.conflicts.id, row.id), eq(schema.conflicts.status, 'open')))
      .returning();
    if (!updated) throw notOpen({ ...row, status: (await loadConflict(row.id)).status });
    return updated;
  };

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/sync-definitions/{id}/conflicts',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'Conflicts of a definition, with both versions',
      description:
        "Rows changed in the table and in the list since their last sync that the definition's `manual` conflict policy left to a person, oldest first; `status` filters (all when absent). Pages with `cursor` / `nextCursor` like every list. 404 for an unknown definition.",
      request: {
        params: definitionParam,
        query: z.object({ ...pageQuery, status: z.enum(STATUSES).optional().openapi({ description: 'Only conflicts in this status' }) }),
      },
      responses: { 200: { description: 'Conflicts', ...json(ConflictPage) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { limit, cursor, status } = c.req.valid('query');
      await loadDefinition(id);
      const rows = await db
        .select()
        .from(schema.conflicts)
        .where(and(eq(schema.conflicts.definitionId, id), status ? eq(schema.conflicts.status, status) : undefined, keysetAfter(schema.conflicts, cursor)))
        .orderBy(...keysetOrder(schema.conflicts))
        .limit(limit + 1);
      const page = pageOf(rows, limit, encodeCursor);
      return c.json({ items: page.items.map(view), nextCursor: page.nextCursor }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/v1/conflicts/{conflictId}',
      tags,
      security,
      middleware: [requireRole('viewer')] as const,
      summary: 'One conflict, with both versions and its resolution',
      description: 'The resolution shows whether an ingress run applied it yet (`appliedAt`), or why it could not (`error`). 404 for an unknown id.',
      request: { params: conflictParam },
      responses: { 200: { description: 'The conflict', ...json(Conflict) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { conflictId } = c.req.valid('param');
      return c.json(view(await loadConflict(conflictId)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/conflicts/{conflictId}/resolve',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Resolve a conflict and ask for an ingress run that applies it',
      description: [
        "Marks an open conflict resolved with the version to keep, then asks the definition's coordinator for an ingress run, as POST /v1/sync-definitions/{id}/operations/ingress does (the answer carries its ticket).",
        "That run writes the chosen values first: keep 'list' writes the item's values to the row, 'merged' writes `values` to the row; both then write the row to the list item. Keep 'source' writes the table's current row to the item.",
        'The ledger then records what was written, so neither push nor ingress sends it back. A write the table or the list refuses leaves the resolution unapplied with the reason in `resolution.error`; the next ingress run tries it again.',
        "409 when the conflict is not open, the definition's direction is push, or its lists are not provisioned; 422 for `values` without keep 'merged', 'merged' without `values`, or a value naming a column that is not mapped or is a key column.",
      ].join(' '),
      request: { params: conflictParam, body: { required: true, ...json(ResolveBody) } },
      responses: { 202: { description: 'Resolved; the ingress run that applies it is accepted', ...json(Resolved) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { conflictId } = c.req.valid('param');
      const body = c.req.valid('json');
      const row = await loadConflict(conflictId);
      if (row.status !== 'open') throw notOpen(row);
      if (body.keep === 'merged' && body.values === undefined) {
        const message = "keep 'merged' needs the values to write";
        throw new ApiError(422, ErrorCode.ValidationFailed, message, [{ field: 'body.values', message }]);
      }
      if (body.keep !== 'merged' && body.values !== undefined) {
        const message = `values are only taken with keep 'merged'; keep '${body.keep}' writes the ${body.keep === 'list' ? "list item's" : "table's"} version as it is`;
        throw new ApiError(422, ErrorCode.ValidationFailed, message, [{ field: 'body.values', message }]);
      }
      const def = await loadDefinition(row.definitionId);
      if (body.values) {
        const mapped = new Set(
          (
            await db.select({ sourceColumn: schema.fieldMappings.sourceColumn }).from(schema.fieldMappings).where(eq(schema.fieldMappings.definitionId, def.id))
          ).map((m) => m.sourceColumn),
        );
        const errors = Object.keys(body.values).flatMap((col) => {
          if (def.keyColumns.includes(col)) return [{ field: `body.values.${col}`, message: `${col} is a key column: a key is never changed by a resolution` }];
          if (!mapped.has(col)) return [{ field: `body.values.${col}`, message: `${col} is not a mapped column of the definition` }];
          return [];
        });
        if (errors.length) throw new ApiError(422, ErrorCode.ValidationFailed, errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
      }
      await assertOperationAllowed(def, 'ingress');
      const resolution = {
        keep: body.keep,
        ...(body.values ? { values: body.values } : {}),
        by: c.get('principal').name,
        at: new Date().toISOString(),
        appliedAt: null,
      };
      const updated = await settle(row, 'resolved', JSON.stringify(resolution));
      const ticket = await ask(c, def.id, 'ingress', {});
      return c.json({ conflict: view(updated), ticket }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/v1/conflicts/{conflictId}/dismiss',
      tags,
      security,
      middleware: [requireRole('operator')] as const,
      summary: 'Dismiss a conflict',
      description:
        "Marks an open conflict dismissed: nothing is written now, and the row syncs as usual afterwards (the next push sends the table's version, as `source_wins` would). 409 when the conflict is not open.",
      request: { params: conflictParam },
      responses: { 200: { description: 'Dismissed', ...json(Conflict) }, ...commonErrorResponses },
    }),
    async (c) => {
      const { conflictId } = c.req.valid('param');
      const row = await loadConflict(conflictId);
      if (row.status !== 'open') throw notOpen(row);
      return c.json(view(await settle(row, 'dismissed', null)), 200);
    },
  );
}
