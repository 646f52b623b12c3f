import { and, eq, inArray } from 'drizzle-orm';
import { schema, type MetaDb } from '../db/index.ts';
import { ACTIVE_RUN_STATUSES, OPERATIONS, type OperationKind } from './operations.ts';

/*
 * A run never sees its definition change under it: edits of what a writer reads are refused
 * while a writer is queued, running or waiting (docs/design/operations.md). Both the edit and
 * a run's creation lock the definition row first, so one of the two always sees the other.
 */

type Tx = Parameters<Parameters<MetaDb['transaction']>[0]>[0];

export interface ActiveRun {
  id: string;
  kind: string;
  status: string;
  workflowId: string;
}

export class DefinitionBusyError extends Error {
  override name = 'DefinitionBusyError';
  constructor(
    readonly run: ActiveRun,
    what: string,
  ) {
    super(
      `${what} cannot change while the definition's ${run.kind} run ${run.id} is ${run.status.replace('_', ' ')}; wait for it to end (GET /v1/sync-runs/${run.id}) or cancel it (POST /v1/sync-runs/${run.id}/cancel)`,
    );
  }
}

const WRITER_KINDS = (Object.keys(OPERATIONS) as OperationKind[]).filter((k) => OPERATIONS[k].writes);

/** Locks the definition row for the rest of the transaction; false when it does not exist. */
export async function lockDefinition(tx: Tx | MetaDb, definitionId: string): Promise<boolean> {
  const rows = await tx.select({ id: schema.syncDefinitions.id }).from(schema.syncDefinitions).where(eq(schema.syncDefinitions.id, definitionId)).for('update');
  return rows.length > 0;
}

/** The definition's active writer runs (queued, running or awaiting approval). */
export async function activeWriters(tx: Tx | MetaDb, definitionId: string): Promise<ActiveRun[]> {
  return tx
    .select({ id: schema.syncRuns.id, kind: schema.syncRuns.kind, status: schema.syncRuns.status, workflowId: schema.syncRuns.workflowId })
    .from(schema.syncRuns)
    .where(
      and(
        eq(schema.syncRuns.definitionId, definitionId),
        inArray(schema.syncRuns.status, [...ACTIVE_RUN_STATUSES]),
        inArray(schema.syncRuns.kind, WRITER_KINDS),
      ),
    )
    .orderBy(schema.syncRuns.createdAt);
}

/** Inside the edit's transaction: locks the definition and refuses the edit while a writer is active. */
export async function assertDefinitionIdle(tx: Tx, definitionId: string, what: string): Promise<void> {
  await lockDefinition(tx, definitionId);
  const [busy] = await activeWriters(tx, definitionId);
  if (busy) throw new DefinitionBusyError(busy, what);
}
