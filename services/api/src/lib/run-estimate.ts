import { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { ledgerSize } from '@syncbridge/shared/domain';
import { latestSnapshotOfDatabase, scopeOf } from '@syncbridge/shared/schema-snapshots';
import { findTable } from '@syncbridge/shared/sources';
import type { ApiDeps } from './context.ts';
import { budgetSeconds } from './run-progress.ts';

type DefinitionRow = typeof schema.syncDefinitions.$inferSelect;

export const RunEstimateSchema = z
  .object({
    firstLoad: z.boolean().openapi({ description: 'Nothing of the definition is in SharePoint yet: every row will be created' }),
    rows: z.number().int().nullable().openapi({ description: "Rows the run is expected to write (null: known only once it runs; see the run's progress)" }),
    rowsSource: z.enum(['statistics', 'ledger']).nullable().openapi({
      description: "statistics: the table's row estimate from the last introspection; ledger: rows synced before (an upper bound for a full pass)",
    }),
    ruPerMinute: z.number().int().nullable().openapi({ description: "The smallest resource-unit budget among the definition's SharePoint connections" }),
    etaSeconds: z.number().int().nullable().openapi({ description: 'rows x 2 resource units / budget: the time the writes take at the budget' }),
    note: z.string(),
  })
  .openapi('RunEstimate');

export type RunEstimate = z.infer<typeof RunEstimateSchema>;

/** A time a person reads: minutes up to two hours, then hours with one decimal. */
function duration(seconds: number): string {
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes === 1) return '1 minute';
  return minutes < 120 ? `${minutes} minutes` : `${(seconds / 3600).toFixed(1)} hours`;
}

/** What a run will cost before it starts, from what the meta-store knows (no call to the source or Graph). */
export async function estimateRun(deps: ApiDeps, def: DefinitionRow, fullResync: boolean): Promise<RunEstimate> {
  const { db } = deps.store;
  const synced = await ledgerSize(db, def.id);
  const budgets = await db
    .select({ ru: schema.sharepointConnections.ruPerMinute })
    .from(schema.syncTargets)
    .innerJoin(schema.sharepointConnections, eq(schema.sharepointConnections.id, schema.syncTargets.connectionId))
    .where(eq(schema.syncTargets.definitionId, def.id));
  const ruPerMinute = budgets.length ? Math.min(...budgets.map((b) => b.ru)) : null;
  let rows: number | null = null;
  let rowsSource: RunEstimate['rowsSource'] = null;
  if (synced === 0) {
    const snap = await latestSnapshotOfDatabase(db, def.databaseId, scopeOf({ schema: def.sourceSchema, table: def.sourceTable }));
    const table = snap ? findTable(snap.snapshot, def.sourceSchema, def.sourceTable) : undefined;
    rows = table?.rowEstimate?.rows ?? table?.estimatedRows ?? null;
    rowsSource = rows === null ? null : 'statistics';
  } else if (fullResync) {
    rows = synced;
    rowsSource = 'ledger';
  }
  const etaSeconds = rows !== null && ruPerMinute ? budgetSeconds(rows, ruPerMinute) : null;
  const time = etaSeconds === null ? null : duration(etaSeconds);
  const n = (value: number | null) => value?.toLocaleString('en-US');
  const note =
    synced === 0
      ? rows === null
        ? 'First load: the row count is not known yet; the run counts its rows within seconds (GET /v1/sync-runs/{runId}).'
        : `First load of about ${n(rows)} rows: at ${n(ruPerMinute)} resource units per minute (2 per item created) it takes about ${time}.`
      : fullResync
        ? `Full pass over ${n(synced)} synced rows: only changed rows are written, so at most about ${time} at the budget.`
        : 'Incremental run: only rows changed since the last run are read; the run counts them within seconds (GET /v1/sync-runs/{runId}).';
  return { firstLoad: synced === 0, rows, rowsSource, ruPerMinute, etaSeconds, note };
}
