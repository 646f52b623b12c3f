import { z } from '@hono/zod-openapi';
import type { schema } from '@syncbridge/shared/db';

type RunRow = typeof schema.syncRuns.$inferSelect;

interface StoredProgress {
  pass?: string;
  phase?: string;
  rowsToDo?: number | null;
  rowsToDoSource?: 'count' | 'estimate' | null;
  ruPerMinute?: number | null;
  ruPerRow?: number;
}

export const RunProgressSchema = z
  .object({
    phase: z.string().openapi({ description: 'starting, upsert (rows written), scan (deleted rows looked for), awaiting-approval, delete, done' }),
    pass: z.string().nullable().openapi({ description: 'watermark (changed rows only) or full (every row compared)' }),
    rowsDone: z.number().int().openapi({ description: 'Rows read and handled so far' }),
    rowsToDo: z.number().int().nullable().openapi({ description: 'Rows the run found ahead of it when it started (null: not known yet)' }),
    rowsToDoSource: z.enum(['count', 'estimate']).nullable().openapi({ description: "count: exact; estimate: the planner's statistics" }),
    percent: z.number().nullable(),
    ruPerMinute: z.number().int().nullable().openapi({ description: "The SharePoint connection's resource-unit budget per minute" }),
    etaSeconds: z.number().int().nullable().openapi({ description: 'Estimated time left for the rows left' }),
    etaBasis: z.enum(['budget', 'measured']).nullable().openapi({
      description:
        'budget: rows left x 2 resource units per write / the budget per minute (an upper bound: unchanged rows cost nothing); measured: the rate this run has achieved so far',
    }),
    waitingFor: z.string().nullable().openapi({ description: 'What the run waits for, e.g. an approval of the mass-delete guard, or SharePoint budget' }),
    budgetWait: z.object({ requests: z.number().int(), waitingMs: z.number().int() }).optional().openapi({
      description:
        "Present while the run's Graph requests wait for the connection's resource-unit budget (GET /v1/sharepoint-connections/{id}/budget shows who has it)",
    }),
  })
  .openapi('RunProgress');

export type RunProgress = z.infer<typeof RunProgressSchema>;

/** Below this much elapsed time and work, the measured rate says more about start-up than about throughput. */
const MIN_MEASURED_MS = 5_000;
const MIN_MEASURED_ROWS = 20;

/** Minutes a number of rows takes at a budget, 2 RU per written row. */
export function budgetSeconds(rows: number, ruPerMinute: number, ruPerRow = 2): number {
  return Math.ceil(((rows * ruPerRow) / ruPerMinute) * 60);
}

/** A person-readable view of a run's progress, from what its activities committed. */
export function runProgress(row: RunRow, now = new Date()): RunProgress {
  const stored = (row.progress ?? {}) as StoredProgress;
  const counts = (row.counts ?? {}) as Record<string, number>;
  const rowsDone = counts.read ?? 0;
  const rowsToDo = typeof stored.rowsToDo === 'number' ? stored.rowsToDo : null;
  const finished = !['queued', 'running', 'awaiting_approval'].includes(row.status);
  const left = rowsToDo === null ? null : Math.max(0, rowsToDo - rowsDone);
  let etaSeconds: number | null = null;
  let etaBasis: RunProgress['etaBasis'] = null;
  if (!finished && left !== null && stored.phase === 'upsert') {
    const elapsed = row.startedAt ? now.getTime() - row.startedAt.getTime() : 0;
    if (rowsDone >= MIN_MEASURED_ROWS && elapsed >= MIN_MEASURED_MS) {
      etaSeconds = Math.ceil((left / rowsDone) * (elapsed / 1000));
      etaBasis = 'measured';
    } else if (stored.ruPerMinute) {
      etaSeconds = budgetSeconds(left, stored.ruPerMinute, stored.ruPerRow ?? 2);
      etaBasis = 'budget';
    }
  }
  const hold = row.hold as { message?: string; decided?: unknown } | null;
  return {
    phase: row.status === 'awaiting_approval' ? 'awaiting-approval' : finished ? 'done' : (stored.phase ?? 'starting'),
    pass: stored.pass ?? null,
    rowsDone,
    rowsToDo,
    rowsToDoSource: stored.rowsToDoSource ?? null,
    percent: rowsToDo ? Math.min(100, Math.round((rowsDone / rowsToDo) * 1000) / 10) : finished ? 100 : null,
    ruPerMinute: stored.ruPerMinute ?? null,
    etaSeconds: finished ? 0 : etaSeconds,
    etaBasis,
    waitingFor: row.status === 'awaiting_approval' && hold?.message ? hold.message : null,
  };
}
