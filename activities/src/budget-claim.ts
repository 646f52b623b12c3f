import type { BudgetClaim, BudgetPriority } from '@syncbridge/shared/graph';
import type { MetaStore } from '@syncbridge/shared/db';

/**
 * Charges every Graph request an activity makes to its run, at the run's priority in the
 * tenant's shared budget (shared/src/graph/shared-budget.ts):
 * - bulk: re-shards, drift checks and repairs, ledger rebuilds, and push runs that are large —
 *   a full pass, a first load, more rows to do than BULK_ROWS, or past their first batches
 *   (a run that turns out big stops taking precedence);
 * - interactive: what a person asked for now (API-triggered runs, provisioning, health checks);
 * - incremental: scheduled push and ingress runs.
 */

const BULK_KINDS = new Set(['reshard', 'drift_check', 'drift_repair', 'ledger_rebuild', 'drift']);
const INTERACTIVE_KINDS = new Set(['provision', 'health']);
/** A push run with more rows than this ahead of it is bulk work from its start. */
export const BULK_ROWS = 2_000;
/** Batches ramp 25, 50, 100, 200 (push/batch.ts): from the fifth on, a run has read 375 rows and counts as bulk. */
const BULK_FROM_BATCH = 4;
const CACHE_MS = 5_000;

interface RunFacts {
  kind: string;
  trigger: string;
  pass: string | null;
  rowsToDo: number | null;
  firstLoad: boolean;
  definitionId: string | null;
  weight: number;
}

export function priorityOf(run: RunFacts, batchNumber: number | undefined): BudgetPriority {
  if (BULK_KINDS.has(run.kind)) return 'bulk';
  if (INTERACTIVE_KINDS.has(run.kind)) return 'interactive';
  const large = run.pass === 'full' || run.firstLoad || (run.rowsToDo ?? 0) > BULK_ROWS || (batchNumber ?? 0) >= BULK_FROM_BATCH;
  if (large) return 'bulk';
  // Scheduled runs and runs the change log asked for are the tenant's everyday incremental work.
  return run.trigger === 'schedule' || run.trigger === 'change' ? 'incremental' : 'interactive';
}

export class BudgetClaims {
  private readonly cache = new Map<string, { at: number; facts: RunFacts | null }>();

  constructor(private readonly store: MetaStore) {}

  async claimFor(args: unknown[]): Promise<BudgetClaim | undefined> {
    const input = args[0] as { runRowId?: unknown; runId?: unknown; batchNumber?: unknown } | undefined;
    if (!input || typeof input !== 'object') return undefined;
    const runId = typeof input.runRowId === 'string' ? input.runRowId : typeof input.runId === 'string' ? input.runId : undefined;
    if (!runId || !/^[0-9a-f-]{36}$/i.test(runId)) return undefined;
    const facts = await this.facts(runId);
    if (!facts) return undefined;
    const batchNumber = typeof input.batchNumber === 'number' ? input.batchNumber : undefined;
    return { priority: priorityOf(facts, batchNumber), runId, definitionId: facts.definitionId, weight: facts.weight };
  }

  private async facts(runId: string): Promise<RunFacts | null> {
    const now = Date.now();
    const cached = this.cache.get(runId);
    if (cached && now - cached.at < CACHE_MS) return cached.facts;
    const [row] = await this.store.sql<
      Array<{
        kind: string;
        trigger: string;
        pass: string | null;
        rows_to_do: string | null;
        first_load: boolean | null;
        definition_id: string | null;
        weight: number | null;
      }>
    >`
      select r.kind, r.trigger, r.progress->>'pass' as pass, r.progress->>'rowsToDo' as rows_to_do, (r.progress->>'firstLoad')::boolean as first_load, r.definition_id, d.budget_weight as weight
      from sync_runs r left join sync_definitions d on d.id = r.definition_id where r.id = ${runId}::uuid`;
    const facts = row
      ? {
          kind: row.kind,
          trigger: row.trigger,
          pass: row.pass,
          rowsToDo: row.rows_to_do === null ? null : Number(row.rows_to_do),
          firstLoad: row.first_load === true,
          definitionId: row.definition_id,
          weight: row.weight ?? 1,
        }
      : null;
    if (this.cache.size > 1_000) this.cache.clear();
    // A push run decides its pass (and whether it is a first load) in its first activity: not cached before that.
    if (facts && (facts.kind !== 'push' || facts.pass !== null)) this.cache.set(runId, { at: now, facts });
    return facts;
  }
}
