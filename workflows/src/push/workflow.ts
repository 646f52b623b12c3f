import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  condition,
  ContinueAsNew,
  continueAsNew,
  defineQuery,
  defineSignal,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PushActivities } from '@syncbridge/activities';
import { addCounts, emptyCounts, type DeleteDecision, type PushCarry, type PushProgress, type PushSyncInput, type PushSyncResult } from './types.ts';

export * from './types.ts';

export const pushProgressQuery = defineQuery<PushProgress>('progress');
/** A person approves or rejects the deletions the mass-delete guard holds. */
export const deleteDecisionSignal = defineSignal<[DeleteDecision]>('deleteDecision');
/** The definition's guard thresholds changed: evaluate the held deletions again. */
export const deleteGuardRecheckSignal = defineSignal('deleteGuardRecheck');

/** Manual runs get their own id per request; scheduled runs get the schedule's id plus a timestamp. */
export const pushRunWorkflowId = (definitionId: string, requestId: string) => `push/${definitionId}/${requestId}`;
export const pushScheduleId = (definitionId: string) => `push-schedule/${definitionId}`;

/** Batches per workflow run before continuing as new, to keep each history small. */
const BATCHES_PER_RUN = 100;
/** While a person decides, the run wakes this often to keep its lease. */
const LEASE_RENEWAL = '5 minutes';

/**
 * Lossless keys, the two-step sweep with the mass-delete guard, growing first batches, and
 * cancellation that waits for the batch to commit what it wrote. Runs started before this
 * change replay on the original path below.
 */
const GUARDED_SWEEP_PATCH = 'push-guarded-sweep-v2';

const retry = {
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '1 minute',
  maximumAttempts: 12,
  nonRetryableErrorTypes: ['InvalidInput', 'NotFound', 'AuthenticationFailed', 'PermissionDenied', 'SchemaMismatch'],
};

const acts = proxyActivities<PushActivities>({
  startToCloseTimeout: '10 minutes',
  // A dead worker's batch is retried elsewhere after this long without a heartbeat.
  heartbeatTimeout: '30 seconds',
  retry,
});

/** On cancel, wait for the activity to commit what it wrote before the run is marked cancelled. */
const guardedActs = proxyActivities<PushActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry,
});

/**
 * Push sync: changed rows -> route -> diff against the ledger -> Graph $batch ->
 * ledger + cursor commit, one batch per activity; then a sweep for rows deleted at
 * the source, held for a person when it would delete more than the guard allows.
 * Positions live in the meta-store or in the small carry, never rows, and the run
 * continues as new when Temporal suggests it.
 */
export async function pushSyncWorkflow(input: PushSyncInput): Promise<PushSyncResult> {
  const { workflowId, runId } = workflowInfo();
  const progress: PushProgress = {
    definitionId: input.definitionId,
    pass: input.carry?.pass ?? null,
    phase: input.carry?.phase ?? 'starting',
    batches: input.carry?.batches ?? 0,
    counts: input.carry?.counts ?? emptyCounts(),
  };
  setHandler(pushProgressQuery, () => progress);
  let decision: DeleteDecision | undefined;
  let recheck = false;
  setHandler(deleteDecisionSignal, (d) => void (decision = d));
  setHandler(deleteGuardRecheckSignal, () => void (recheck = true));
  const guarded = patched(GUARDED_SWEEP_PATCH);
  const a = guarded ? guardedActs : acts;

  let carry: PushCarry;
  if (input.carry) {
    carry = guarded && input.carry.phase === 'sweep' ? { ...input.carry, phase: 'scan', sweepAfterKey: null } : input.carry;
  } else {
    const begun = await a.beginPushRun({
      definitionId: input.definitionId,
      workflowId,
      temporalRunId: runId,
      context: input.context,
      trigger: input.trigger,
      fullResync: input.fullResync ?? false,
    });
    if (begun.skipped) return { runRowId: begun.runRowId, status: 'skipped', pass: null, counts: emptyCounts(), reason: begun.reason };
    carry = { runRowId: begun.runRowId, pass: begun.pass, phase: 'upsert', fullAfterKey: null, sweepAfterKey: null, counts: emptyCounts(), batches: 0 };
  }
  progress.pass = carry.pass;

  const finish = (status: 'succeeded' | 'failed' | 'cancelled', error?: string) =>
    a.finishPushRun({ definitionId: input.definitionId, runRowId: carry.runRowId, workflowId, pass: carry.pass, status, context: input.context, ...(error ? { error } : {}) });
  const base = { definitionId: input.definitionId, runRowId: carry.runRowId, context: input.context };

  /** The guard phase: evaluate; while it holds, wait for a decision or new thresholds. Returns the next phase. */
  async function guardDeletions(): Promise<'delete' | 'done'> {
    for (;;) {
      const verdict = await a.evaluateDeleteGuard(base);
      if (!verdict.held) return verdict.deletions > 0 ? 'delete' : 'done';
      progress.phase = 'awaiting-approval';
      progress.waitingFor = verdict.summary;
      setCurrentDetails(verdict.summary);
      recheck = false;
      while (!decision && !recheck) {
        if (!(await condition(() => decision !== undefined || recheck, LEASE_RENEWAL))) await a.renewRunLease({ definitionId: input.definitionId, workflowId });
        if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof pushSyncWorkflow>({ ...input, carry });
      }
      setCurrentDetails('');
      delete progress.waitingFor;
      if (decision) {
        await a.recordDeleteDecision({ ...base, decision: decision.decision, by: decision.by });
        return decision.decision === 'approve' ? 'delete' : 'done';
      }
    }
  }

  try {
    for (let batchesThisRun = 0; carry.phase !== 'done'; batchesThisRun++) {
      if (batchesThisRun >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) {
        await continueAsNew<typeof pushSyncWorkflow>({ ...input, carry });
      }
      progress.phase = carry.phase;
      if (!guarded) {
        // The original path, for runs started before the guarded sweep (replayed as recorded).
        const upsert = carry.phase === 'upsert';
        const step = upsert
          ? await acts.pushBatch({ definitionId: input.definitionId, runRowId: carry.runRowId, pass: carry.pass, afterKey: carry.fullAfterKey, context: input.context })
          : await acts.sweepDeletedRows({ definitionId: input.definitionId, runRowId: carry.runRowId, afterKey: carry.sweepAfterKey, context: input.context });
        carry = {
          ...carry,
          counts: addCounts(carry.counts, step.counts),
          batches: carry.batches + 1,
          ...(upsert ? { fullAfterKey: step.nextAfterKey } : { sweepAfterKey: step.nextAfterKey }),
          phase: step.done ? (upsert ? 'sweep' : 'done') : carry.phase,
        };
      } else if (carry.phase === 'guard') {
        carry = { ...carry, phase: await guardDeletions(), sweepAfterKey: null };
      } else {
        const phase = carry.phase;
        const step =
          phase === 'upsert'
            ? await a.pushBatch({ ...base, pass: carry.pass, afterKey: carry.fullAfterKey, batchNumber: carry.batches })
            : phase === 'scan'
              ? await a.sweepScan({ ...base, afterKey: carry.sweepAfterKey })
              : await a.sweepApply({ ...base, afterKey: carry.sweepAfterKey });
        const next = { upsert: 'scan', scan: 'guard', delete: 'done' } as const;
        carry = {
          ...carry,
          counts: addCounts(carry.counts, step.counts),
          batches: carry.batches + 1,
          ...(phase === 'upsert' ? { fullAfterKey: step.nextAfterKey } : { sweepAfterKey: step.done ? null : step.nextAfterKey }),
          phase: step.done ? next[phase as keyof typeof next] : phase,
        };
      }
      progress.counts = carry.counts;
      progress.batches = carry.batches;
    }
    const committed = await finish('succeeded');
    progress.phase = 'done';
    progress.counts = { ...emptyCounts(), ...committed };
    return { runRowId: carry.runRowId, status: 'succeeded', pass: carry.pass, counts: progress.counts };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => finish('cancelled', 'cancelled'));
      throw err;
    }
    const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    await finish('failed', message);
    throw ApplicationFailure.nonRetryable(`push run failed: ${message}`, 'PushFailed');
  }
}
