import { z } from '@hono/zod-openapi';
import { inArray } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { definitionWarnings, type SourceWarning } from '@syncbridge/shared/domain';
import { findTable, type SchemaSnapshot } from '@syncbridge/shared/sources';
import type { ApiDeps } from './context.ts';

/*
 * Warnings on a sync definition from the source snapshot it was last validated against
 * (sourceSnapshotId): what works but is slow or narrower than it looks. Read from the stored
 * snapshot, so every read of the definition shows them without a live call to the source.
 */

type DefinitionRow = typeof schema.syncDefinitions.$inferSelect;

export const SourceWarningSchema = z
  .object({
    field: z.string().openapi({ example: 'cursorColumn', description: 'The definition field concerned' }),
    code: z.enum(['cursor_not_indexed', 'ingress_not_possible']).openapi({
      description:
        'cursor_not_indexed: no index starts with the watermark column, so each incremental run reads the whole table; ingress_not_possible: the direction asks for ingress but the relation is only read (a view, materialized view, foreign table or non-transactional table)',
    }),
    message: z.string(),
  })
  .openapi('SyncDefinitionSourceWarning');

/** Per definition id: its warnings (none when it has no snapshot or its table is not in it). */
export async function sourceWarningsOf(deps: ApiDeps, rows: readonly DefinitionRow[]): Promise<Map<string, SourceWarning[]>> {
  const ids = [...new Set(rows.map((r) => r.sourceSnapshotId).filter((id): id is string => id !== null))];
  const snapshots = new Map<string, SchemaSnapshot>();
  if (ids.length) {
    const found = await deps.store.db
      .select({ id: schema.schemaSnapshots.id, snapshot: schema.schemaSnapshots.snapshot })
      .from(schema.schemaSnapshots)
      .where(inArray(schema.schemaSnapshots.id, ids));
    for (const s of found) snapshots.set(s.id, s.snapshot as SchemaSnapshot);
  }
  return new Map(
    rows.map((r) => {
      const snapshot = r.sourceSnapshotId ? snapshots.get(r.sourceSnapshotId) : undefined;
      const table = snapshot?.tables ? findTable(snapshot, r.sourceSchema, r.sourceTable) : undefined;
      return [r.id, table ? definitionWarnings(table, r) : []];
    }),
  );
}
