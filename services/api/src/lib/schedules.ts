import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type ScheduleOptionsAction, type ScheduleSpec } from '@temporalio/client';
import { pushScheduleId, pushSyncWorkflow } from '@syncbridge/workflows';
import type { schema } from '@syncbridge/shared/db';
import type { TemporalDeps } from './context.ts';
import { ApiError, ErrorCode } from './problem.ts';

type DefinitionRow = typeof schema.syncDefinitions.$inferSelect;

function specOf(def: DefinitionRow): ScheduleSpec | null {
  if (def.scheduleCron) return { cronExpressions: [def.scheduleCron] };
  if (def.scheduleIntervalSeconds) return { intervals: [{ every: `${def.scheduleIntervalSeconds}s` }] };
  return null;
}

/**
 * Keeps the definition's Temporal Schedule equal to the definition: created when it
 * has a schedule, paused while disabled, removed when the schedule or the push
 * direction goes away. Idempotent, so a retried API call converges.
 */
export async function reconcilePushSchedule(temporal: TemporalDeps, def: DefinitionRow): Promise<void> {
  const scheduleId = pushScheduleId(def.id);
  const handle = temporal.client.schedule.getHandle(scheduleId);
  const spec = specOf(def);
  try {
    if (!spec || def.direction === 'ingress') {
      await handle.delete().catch((err: unknown) => {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      });
      return;
    }
    const action: ScheduleOptionsAction = {
      type: 'startWorkflow',
      workflowType: pushSyncWorkflow,
      workflowId: `push/${def.id}/scheduled`,
      taskQueue: temporal.taskQueue,
      args: [{ definitionId: def.id, context: { requestId: `schedule:${scheduleId}`, requestedBy: 'schedule' }, trigger: 'schedule' }],
    };
    const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute', pauseOnFailure: false };
    const note = def.enabled ? 'enabled' : 'definition disabled';
    try {
      await temporal.client.schedule.create({ scheduleId, spec, action, policies, state: { paused: !def.enabled, note }, memo: { definitionId: def.id } });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      // update() replaces the whole schedule with what the callback returns.
      await handle.update((prev) => ({ ...prev, spec, action, policies, state: { ...prev.state, paused: !def.enabled, note } }));
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError(503, ErrorCode.Unavailable, `the definition was saved, but its Temporal schedule could not be updated (${(err as Error).message}); repeat the request to retry`);
  }
}

export async function deletePushSchedule(temporal: TemporalDeps, definitionId: string): Promise<void> {
  try {
    await temporal.client.schedule.getHandle(pushScheduleId(definitionId)).delete();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return;
    throw new ApiError(503, ErrorCode.Unavailable, `the schedule of definition ${definitionId} could not be removed (${(err as Error).message}); nothing was deleted, retry`);
  }
}
