import { z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import { temporalUiLink } from '@syncbridge/shared/temporal';
import type { ApiDeps } from '../lib/context.ts';
import { runProgress, RunProgressSchema } from '../lib/run-progress.ts';

type RunRow = typeof schema.syncRuns.$inferSelect;

const GuardList = z.object({
  targetId: z.string().uuid().nullable(),
  listDisplayName: z.string().nullable(),
  deletions: z.number().int(),
  items: z.number().int(),
  limit: z.number().int().nullable(),
});

const Decision = z.object({ decision: z.enum(['approved', 'rejected']), by: z.string(), at: z.string().datetime() });

const MassDeleteHold = z
  .object({
    kind: z.literal('mass-delete'),
    since: z.string().datetime(),
    deletions: z.number().int().openapi({ description: 'Items the run would delete' }),
    lists: z.array(GuardList).openapi({ description: "Per list: deletions, items and the guard's limit" }),
    sampleKeys: z.array(z.unknown()).openapi({ description: 'Up to 20 keys of rows found gone at the source' }),
    guard: z.object({ maxItems: z.number().int().nullable(), maxPercent: z.number().int().nullable() }),
    message: z.string(),
    decided: Decision.optional(),
  })
  .openapi('MassDeleteHold', {
    description: 'The mass-delete guard holds the run: POST /v1/sync-runs/{id}/approve-deletions or reject-deletions',
  });

const PlanHold = z
  .object({
    kind: z.enum(['drift-repair', 'reshard', 'rebind']),
    since: z.string().datetime(),
    actions: z.number().int().openapi({ description: "Actions in the plan (GET /v1/sync-runs/{id}/plan); 1 for a rebind's check" }),
    message: z.string().openapi({ description: "The plan's summary" }),
    decided: Decision.optional(),
  })
  .openapi('PlanHold', {
    description: 'A drift repair, reshard or rebind waits for its plan to be approved: POST /v1/sync-runs/{id}/approve-plan or reject-plan',
  });

export const RunHoldSchema = z.union([MassDeleteHold, PlanHold]).openapi('RunHold');

export const RunSchema = z
  .object({
    id: z.string().uuid(),
    definitionId: z.string().uuid().nullable(),
    kind: z.enum(schema.runKind.enumValues),
    status: z
      .enum(schema.runStatus.enumValues)
      .openapi({ description: 'awaiting_approval: the run waits for a person (the mass-delete guard, or a plan to approve; see hold)' }),
    trigger: z.string(),
    workflowId: z.string(),
    temporalUiUrl: z.string().url(),
    requestId: z.string().nullable(),
    requestedBy: z.string().nullable().openapi({ description: 'The API key id that asked, or "schedule"' }),
    instanceId: z
      .string()
      .uuid()
      .nullable()
      .openapi({ description: 'The source instance the run resolved when it began (pinned, or primary / healthy replica)' }),
    options: z.record(z.string(), z.unknown()).openapi({ description: 'Options the run was asked with (e.g. fullResync)' }),
    counts: z.record(z.string(), z.number()).openapi({ description: 'read, created, updated, moved, deleted, unchanged, quarantined' }),
    errors: z.array(z.object({ at: z.string(), message: z.string() })),
    progress: RunProgressSchema,
    hold: RunHoldSchema.nullable().openapi({ description: 'Why the run waits for a person, and what was decided' }),
    startedAt: z.string().datetime().nullable(),
    finishedAt: z.string().datetime().nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi('SyncRun');

export type RunView = z.infer<typeof RunSchema>;

export function runView(deps: ApiDeps, r: RunRow): RunView {
  return {
    id: r.id,
    definitionId: r.definitionId,
    kind: r.kind,
    status: r.status,
    trigger: r.trigger,
    workflowId: r.workflowId,
    temporalUiUrl: temporalUiLink(deps.temporal.uiUrl, deps.temporal.namespace, r.workflowId),
    requestId: r.requestId,
    requestedBy: r.requestedBy,
    instanceId: r.instanceId,
    options: (r.options ?? {}) as Record<string, unknown>,
    counts: r.counts as Record<string, number>,
    errors: r.errors as Array<{ at: string; message: string }>,
    progress: runProgress(r),
    hold: (r.hold as RunView['hold']) ?? null,
    startedAt: r.startedAt?.toISOString() ?? null,
    finishedAt: r.finishedAt?.toISOString() ?? null,
    createdAt: r.createdAt.toISOString(),
  };
}
