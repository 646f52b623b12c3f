import { ApplicationFailure, CancellationScope, ContinueAsNew, isCancellation, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { PushActivities } from '@syncbridge/activities';
import { addCounts, emptyCounts, type PushCarry, type PushProgress, type PushSyncInput, type PushSyncResult } from './types.ts';

/*
 * The push run as version 0.1 wrote it, kept command for command so runs that were started
 * by 0.1 replay on a newer worker (test/replay). Only those runs take this path; its
 * activities keep their 0.1 contracts (the sweep among them now deletes nothing: the next
 * run's guarded sweep does).
 */

const BATCHES_PER_RUN = 100;

const acts = proxyActivities<PushActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 12,
    nonRetryableErrorTypes: ['InvalidInput', 'NotFound', 'AuthenticationFailed', 'PermissionDenied', 'SchemaMismatch'],
  },
});

export async function legacyPushRun(input: PushSyncInput, progress: PushProgress, continueWith: (carry: PushCarry) => Promise<never>): Promise<PushSyncResult> {
  const { workflowId, runId } = workflowInfo();
  let carry: PushCarry;
  if (input.carry) {
    carry = input.carry;
  } else {
    const begun = await acts.beginPushRun({
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
    acts.finishPushRun({
      definitionId: input.definitionId,
      runRowId: carry.runRowId,
      workflowId,
      pass: carry.pass,
      status,
      context: input.context,
      ...(error ? { error } : {}),
    });

  try {
    for (let batchesThisRun = 0; carry.phase !== 'done'; batchesThisRun++) {
      if (batchesThisRun >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) await continueWith(carry);
      progress.phase = carry.phase;
      const upsert = carry.phase === 'upsert';
      const step = upsert
        ? await acts.pushBatch({
            definitionId: input.definitionId,
            runRowId: carry.runRowId,
            pass: carry.pass,
            afterKey: carry.fullAfterKey,
            context: input.context,
          })
        : await acts.sweepDeletedRows({ definitionId: input.definitionId, runRowId: carry.runRowId, afterKey: carry.sweepAfterKey, context: input.context });
      carry = {
        ...carry,
        counts: addCounts(carry.counts, step.counts),
        batches: carry.batches + 1,
        ...(upsert ? { fullAfterKey: step.nextAfterKey } : { sweepAfterKey: step.nextAfterKey }),
        phase: step.done ? (upsert ? 'sweep' : 'done') : carry.phase,
      };
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
