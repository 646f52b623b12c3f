import {
  isGrpcServiceError,
  ScheduleAlreadyRunning,
  ServiceError,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  WorkflowIdConflictPolicy,
  type ScheduleOptionsAction,
  type ScheduleSpec,
} from '@temporalio/client';
import { z } from '@hono/zod-openapi';
import { Cron } from 'croner';
import { and, eq, inArray } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { OPERATION_KINDS, OPERATIONS, type OperationKind } from '@syncbridge/shared/domain';
import {
  changeCaptureWorkflowId,
  legacyPushScheduleId,
  OPERATION_SCHEDULE_PREFIX,
  operationScheduleId,
  scheduledTriggerWorkflowId,
} from '@syncbridge/shared/temporal/ids';
import { changeCaptureWorkflow, scheduledOperationWorkflow } from '@syncbridge/workflows';
import type { ApiDeps } from './context.ts';
import { ApiError, ErrorCode } from './problem.ts';

/*
 * Temporal Schedules follow the operation_schedules table (docs/design/operations.md): one per
 * definition and operation kind, paused while the schedule or its definition says so, and
 * reconciled from the table when the API starts.
 */

type ScheduleRow = typeof schema.operationSchedules.$inferSelect;

/** The shortest interval a schedule may fire at, as `intervalSeconds` allows. */
export const MIN_SCHEDULE_SECONDS = 10;
const GO_DURATION_UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
/** A year: longer intervals are typing mistakes (a yearly schedule is `@yearly`). */
const MAX_EVERY_MS = 366 * 86_400_000;

const CRON_NAMES = new Set([
  'JAN',
  'FEB',
  'MAR',
  'APR',
  'MAY',
  'JUN',
  'JUL',
  'AUG',
  'SEP',
  'OCT',
  'NOV',
  'DEC',
  'SUN',
  'MON',
  'TUE',
  'WED',
  'THU',
  'FRI',
  'SAT',
]);

/** A Go duration (`90s`, `1h30m`) in milliseconds, or null when it is not one. */
function goDurationMs(v: string): number | null {
  const terms = [...v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  // The terms must make up the whole text: nothing before, between or after them.
  if (terms.length === 0 || terms.map((t) => t[0]).join('') !== v) return null;
  return terms.reduce((ms, [, n, unit]) => ms + Number(n) * GO_DURATION_UNIT_MS[unit!]!, 0);
}

/**
 * Why a schedule expression cannot be used, or null when Temporal will take it: five fields
 * (minute hour day-of-month month day-of-week, UTC; numbers, names, `*`, `?`, ranges, steps and
 * lists, each within its field's range) that fire at least once, `@hourly`/`@daily`/`@weekly`/
 * `@monthly`/`@yearly`, or `@every <Go duration>[/<offset>]` of 10 s to a year. Checked here so
 * a bad expression is a 400 and never reaches the table (where it would fail the start-up
 * reconciliation of every schedule after it).
 */
export function cronProblem(v: string): string | null {
  if (v.startsWith('@')) {
    if (/^@(yearly|annually|monthly|weekly|daily|hourly)$/.test(v)) return null;
    const every = /^@every (\S+?)(?:\/(\S+))?$/.exec(v);
    if (!every) return 'an @ expression is one of @hourly, @daily, @weekly, @monthly, @yearly or @every <duration> (e.g. @every 15m)';
    const ms = goDurationMs(every[1]!);
    if (ms === null) return `"${every[1]}" is not a duration (e.g. 90s, 15m, 1h30m)`;
    if (ms < MIN_SCHEDULE_SECONDS * 1_000) return `@every must be at least ${MIN_SCHEDULE_SECONDS}s`;
    if (ms > MAX_EVERY_MS) return '@every must be at most a year (8784h); use @yearly or a cron expression';
    if (every[2] !== undefined) {
      const offset = goDurationMs(every[2]);
      if (offset === null || offset >= ms) return `the offset "${every[2]}" must be a duration shorter than the interval`;
    }
    return null;
  }
  const fields = v.trim().split(/\s+/);
  if (fields.length !== 5) return `a cron expression has 5 fields (minute hour day-of-month month day-of-week, UTC); this one has ${fields.length}`;
  if (!fields.every((f) => /^[0-9A-Za-z*/,?-]+$/.test(f))) return 'a cron field holds numbers, names, *, ?, ranges (1-5), steps (*/15) and lists (1,15)';
  const unknownName = fields.flatMap((f) => f.match(/[A-Za-z]+/g) ?? []).find((w) => !CRON_NAMES.has(w.toUpperCase()));
  if (unknownName) return `"${unknownName}" is not a month (JAN-DEC) or a day (SUN-SAT)`;
  let job: Cron | undefined;
  try {
    job = new Cron(v, { paused: true, timezone: 'UTC' });
    if (!job.nextRun()) return 'this expression never fires (e.g. the 31st of a month that has 30 days)';
    return null;
  } catch (err) {
    return (err as Error).message.replace(/^CronPattern: /, '');
  } finally {
    job?.stop();
  }
}

/** A schedule expression field of a request body (400 with cronProblem's reason). */
export const cronExpression = z
  .string()
  .max(200)
  .superRefine((v, ctx) => {
    const problem = cronProblem(v);
    if (problem) ctx.addIssue({ code: 'custom', message: `not a usable schedule: ${problem}` });
  });

// The table's check guarantees one of cron and interval_seconds.
const specOf = (row: ScheduleRow): ScheduleSpec =>
  row.cron ? { cronExpressions: [row.cron] } : { intervals: [{ every: (row.intervalSeconds ?? 60) * 1000 }] };

const unavailable = (what: string, err: unknown) =>
  new ApiError(
    503,
    ErrorCode.Unavailable,
    `${what} could not be updated in Temporal (${(err as Error).message}); the change is saved: repeat the request, or restart the API, to apply it`,
  );

async function deleteIfExists(deps: ApiDeps, scheduleId: string): Promise<void> {
  try {
    await deps.temporal.client.schedule.getHandle(scheduleId).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

/**
 * Temporal's answer to a schedule it will never take as it is, as opposed to being unreachable: the
 * client turns "Invalid schedule spec" into a TypeError, other refusals are gRPC INVALID_ARGUMENT.
 */
function refusedByTemporal(err: unknown): boolean {
  if (err instanceof TypeError) return true;
  const cause = err instanceof ServiceError && err.cause ? err.cause : err;
  return isGrpcServiceError(cause) && cause.code === GRPC_INVALID_ARGUMENT;
}
const GRPC_INVALID_ARGUMENT = 3;

/** Creates or updates one Temporal Schedule from its row (idempotent). */
async function applySchedule(deps: ApiDeps, row: ScheduleRow, definitionEnabled: boolean): Promise<void> {
  const kind = row.kind as OperationKind;
  const scheduleId = operationScheduleId(row.definitionId, kind);
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: scheduledOperationWorkflow,
    workflowId: scheduledTriggerWorkflowId(row.definitionId, kind),
    taskQueue: deps.temporal.taskQueue,
    args: [{ definitionId: row.definitionId, kind }],
  };
  // A trigger only asks the coordinator (which joins a request to a run already going), so skipping overlaps loses nothing.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: 60_000, pauseOnFailure: false };
  const paused = row.paused || !definitionEnabled;
  const note = row.paused ? (row.note ?? 'paused') : definitionEnabled ? 'active' : 'definition disabled';
  try {
    await deps.temporal.client.schedule.create({
      scheduleId,
      spec: specOf(row),
      action,
      policies,
      state: { paused, note },
      memo: { definitionId: row.definitionId, kind },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    // update() replaces the whole schedule with what the callback returns.
    await deps.temporal.client.schedule
      .getHandle(scheduleId)
      .update((prev) => ({ ...prev, spec: specOf(row), action, policies, state: { ...prev.state, paused, note } }));
  }
}

/**
 * An enabled definition that reads PostgreSQL's log has a watcher workflow that asks for a push run
 * whenever its slot holds changes (workflows/src/capture). Started here when missing (a running one
 * is kept); it ends by itself when the definition is turned off, deleted or reads otherwise.
 */
async function ensureChangeCapture(deps: ApiDeps, def: { id: string; enabled: boolean; cursorStrategy: string }): Promise<void> {
  if (!def.enabled || def.cursorStrategy !== 'logical_replication') return;
  await deps.temporal.client.workflow.start(changeCaptureWorkflow, {
    workflowId: changeCaptureWorkflowId(def.id),
    taskQueue: deps.temporal.taskQueue,
    args: [{ definitionId: def.id }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
  });
}

/** Makes the definition's Temporal Schedules equal to its rows (creates, updates, pauses, removes), and its change watcher. */
export async function syncDefinitionSchedules(deps: ApiDeps, definitionId: string): Promise<void> {
  const { db } = deps.store;
  const [def] = await db
    .select({ id: schema.syncDefinitions.id, enabled: schema.syncDefinitions.enabled, cursorStrategy: schema.syncDefinitions.cursorStrategy })
    .from(schema.syncDefinitions)
    .where(eq(schema.syncDefinitions.id, definitionId));
  const rows = def ? await db.select().from(schema.operationSchedules).where(eq(schema.operationSchedules.definitionId, definitionId)) : [];
  try {
    if (def) await ensureChangeCapture(deps, def);
    for (const row of rows) await applySchedule(deps, row, def!.enabled);
    const kept = new Set(rows.map((r) => r.kind));
    for (const kind of OPERATION_KINDS)
      if (OPERATIONS[kind].schedulable && !kept.has(kind)) await deleteIfExists(deps, operationScheduleId(definitionId, kind));
    await deleteIfExists(deps, legacyPushScheduleId(definitionId));
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (refusedByTemporal(err))
      throw new ApiError(
        422,
        ErrorCode.ValidationFailed,
        `Temporal refuses a schedule of definition ${definitionId} (${(err as Error).message}); it is saved but does not run: change or remove it`,
      );
    throw unavailable(`the schedules of definition ${definitionId}`, err);
  }
}

/** Before a definition is deleted: its schedules go first, so none fires for a definition that is gone. */
export async function removeDefinitionSchedules(deps: ApiDeps, definitionId: string): Promise<void> {
  try {
    for (const kind of OPERATION_KINDS) if (OPERATIONS[kind].schedulable) await deleteIfExists(deps, operationScheduleId(definitionId, kind));
    await deleteIfExists(deps, legacyPushScheduleId(definitionId));
  } catch (err) {
    throw new ApiError(
      503,
      ErrorCode.Unavailable,
      `the schedules of definition ${definitionId} could not be removed (${(err as Error).message}); nothing was deleted, retry`,
    );
  }
}

/**
 * At API start: every schedule row gets its Temporal Schedule back (one deleted by hand is
 * restored, its spec and pause state are corrected), and schedules of ours without a row
 * (deleted definitions, 0.1's push-schedule/...) are removed.
 */
export async function reconcileAllSchedules(deps: ApiDeps, opts: { retryUntilDone?: boolean } = {}): Promise<{ applied: number; removed: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await reconcileOnce(deps);
    } catch (err) {
      if (!opts.retryUntilDone) throw err;
      deps.logger.warn({ err: (err as Error).message, attempt }, 'schedule reconciliation failed; retrying');
      await new Promise((r) => setTimeout(r, Math.min(60_000, 1_000 * 2 ** Math.min(attempt, 6))).unref?.());
    }
  }
}

async function reconcileOnce(deps: ApiDeps): Promise<{ applied: number; removed: number }> {
  const { db } = deps.store;
  const rows = await db
    .select({ schedule: schema.operationSchedules, enabled: schema.syncDefinitions.enabled })
    .from(schema.operationSchedules)
    .innerJoin(schema.syncDefinitions, eq(schema.syncDefinitions.id, schema.operationSchedules.definitionId));
  let refused = 0;
  for (const r of rows) {
    try {
      await applySchedule(deps, r.schedule, r.enabled);
    } catch (err) {
      // One row Temporal refuses (an expression saved before the API checked it as Temporal does)
      // must not keep every schedule after it from being restored: it is logged and skipped.
      if (!refusedByTemporal(err)) throw err;
      refused++;
      deps.logger.error(
        { definitionId: r.schedule.definitionId, kind: r.schedule.kind, cron: r.schedule.cron, err: (err as Error).message },
        'Temporal refuses this schedule: it does not run until it is changed (PUT /v1/sync-definitions/{id}/schedules/{kind})',
      );
    }
  }
  const watched = await db
    .select({ id: schema.syncDefinitions.id, enabled: schema.syncDefinitions.enabled, cursorStrategy: schema.syncDefinitions.cursorStrategy })
    .from(schema.syncDefinitions)
    .where(and(eq(schema.syncDefinitions.enabled, true), eq(schema.syncDefinitions.cursorStrategy, 'logical_replication')));
  for (const def of watched) await ensureChangeCapture(deps, def);
  const wanted = new Set(rows.map((r) => operationScheduleId(r.schedule.definitionId, r.schedule.kind as OperationKind)));
  let removed = 0;
  for await (const s of deps.temporal.client.schedule.list()) {
    const ours = s.scheduleId.startsWith(OPERATION_SCHEDULE_PREFIX) || s.scheduleId.startsWith('push-schedule/');
    if (ours && !wanted.has(s.scheduleId)) {
      await deleteIfExists(deps, s.scheduleId);
      removed++;
    }
  }
  deps.logger.info({ applied: rows.length - refused, refused, removed }, 'schedules reconciled');
  return { applied: rows.length - refused, removed };
}

/** The push schedule as the definition's shorthand fields. */
export async function pushScheduleShorthand(
  deps: ApiDeps,
  definitionIds: string[],
): Promise<Map<string, { scheduleCron: string | null; scheduleIntervalSeconds: number | null }>> {
  if (definitionIds.length === 0) return new Map();
  const rows = await deps.store.db
    .select()
    .from(schema.operationSchedules)
    .where(and(inArray(schema.operationSchedules.definitionId, definitionIds), eq(schema.operationSchedules.kind, 'push')));
  return new Map(rows.map((r) => [r.definitionId, { scheduleCron: r.cron, scheduleIntervalSeconds: r.intervalSeconds }]));
}

/** The definition's shorthand fields, when the request gave them, written to its push schedule (null for both removes it). */
export async function saveScheduleShorthand(deps: ApiDeps, definitionId: string, body: Record<string, unknown>): Promise<void> {
  if (!('scheduleCron' in body) && !('scheduleIntervalSeconds' in body)) return;
  const cron = (body.scheduleCron as string | null | undefined) ?? null;
  const intervalSeconds = (body.scheduleIntervalSeconds as number | null | undefined) ?? null;
  await saveSchedule(deps, definitionId, 'push', cron || intervalSeconds ? { cron, intervalSeconds } : null);
}

/** Writes (or, with null, deletes) a schedule row; paused stays as it was unless given. */
export async function saveSchedule(
  deps: ApiDeps,
  definitionId: string,
  kind: OperationKind,
  spec: { cron: string | null; intervalSeconds: number | null; paused?: boolean; note?: string | null } | null,
): Promise<void> {
  const t = schema.operationSchedules;
  if (!spec) {
    await deps.store.db.delete(t).where(and(eq(t.definitionId, definitionId), eq(t.kind, kind)));
    return;
  }
  const values = {
    cron: spec.cron,
    intervalSeconds: spec.cron ? null : spec.intervalSeconds,
    ...(spec.paused !== undefined ? { paused: spec.paused } : {}),
    ...(spec.note !== undefined ? { note: spec.note } : {}),
  };
  await deps.store.db
    .insert(t)
    .values({ definitionId, kind, ...values })
    .onConflictDoUpdate({ target: [t.definitionId, t.kind], set: { ...values, updatedAt: new Date() } });
}
