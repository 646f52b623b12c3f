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
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { IngressActivities, OperationActivities, PushActivities } from '@syncbridge/activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '@syncbridge/shared/errors';
import { legacyPushRun } from './legacy.ts';
import {
  addCounts,
  emptyCounts,
  type DeleteDecision,
  type PushCarry,
  type PushPhase,
  type PushProgress,
  type PushSyncInput,
  type PushSyncResult,
} from './types.ts';

export * from './types.ts';

export const pushProgressQuery = defineQuery<PushProgress>('progress');
/** A person approves or rejects the deletions the mass-delete guard holds. */
export const deleteDecisionSignal = defineSignal<[DeleteDecision]>('deleteDecision');
/** The definition's guard limits changed: evaluate the held deletions again. */
export const deleteGuardRecheckSignal = defineSignal('deleteGuardRecheck');

/** Batches per workflow run before continuing as new, to keep each history small. */
const BATCHES_PER_RUN = 100;
/** While a person decides, the run wakes this often (to continue as new when its history asks). */
const WAIT_SLICE = '10 minutes';

/**
 * Runs started by 0.1 replay on the path they were recorded on (legacy.ts); every newer run
 * is an operation of the definition's coordinator: lossless keys, the guarded two-step sweep,
 * growing first batches, and cancellation that waits for the batch to commit what it wrote.
 */
const OPERATION_MODEL_PATCH = 'push-0.2-operation';

/** Runs from 0.3 on read a two-way definition's lists back into the table before pushing: one run, one cycle. */
const TWO_WAY_PATCH = 'push-0.3-two-way';
/** Runs from 0.5 on clear the guard's recheck flag before each evaluation, so a recheck sent during one is not lost. */
const GUARD_RECHECK_PATCH = 'push-0.5-guard-recheck';

const acts = proxyActivities<PushActivities & OperationActivities & IngressActivities>({
  startToCloseTimeout: '10 minutes',
  // A dead worker's batch is retried elsewhere after this long without a heartbeat.
  heartbeatTimeout: '30 seconds',
  // On cancel, wait for the activity to commit what it wrote before the run is marked cancelled.
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 12,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
});

/**
 * Push sync: changed rows -> route -> diff against the ledger -> Graph $batch ->
 * ledger + cursor commit, one batch per activity; then a sweep for rows deleted at
 * the source, held for a person when it would delete more than the guard allows.
 * Positions live in the meta-store or in the small carry, never rows, and the run
 * continues as new when Temporal suggests it.
 */
export async function pushSyncWorkflow(input: PushSyncInput): Promise<PushSyncResult> {
  const progress: PushProgress = {
    definitionId: input.definitionId,
    pass: input.carry?.pass ?? null,
    phase: input.carry?.phase ?? 'starting',
    batches: input.carry?.batches ?? 0,
    counts: input.carry?.counts ?? emptyCounts(),
  };
  setHandler(pushProgressQuery, () => progress);
  const signals: { decision?: DeleteDecision; recheck: boolean } = { recheck: false };
  setHandler(deleteDecisionSignal, (d) => void (signals.decision = d));
  setHandler(deleteGuardRecheckSignal, () => void (signals.recheck = true));
  const continueWith = (carry: PushCarry) => continueAsNew<typeof pushSyncWorkflow>({ ...input, carry });

  if (!patched(OPERATION_MODEL_PATCH)) return legacyPushRun(input, progress, continueWith);
  if (!input.runId && !input.carry) {
    // Started outside the coordinator (a schedule of 0.1, the Temporal Web UI): the coordinator decides.
    const ticket = await acts.requestOperation({
      definitionId: input.definitionId,
      request: {
        kind: 'push',
        requestId: workflowInfo().workflowId,
        runId: uuid4(),
        requestedBy: input.context.requestedBy,
        trigger: input.trigger,
        options: input.fullResync ? { fullResync: true } : {},
      },
    });
    return { runRowId: ticket.runId, status: 'forwarded', pass: null, counts: emptyCounts(), reason: `${ticket.state} as ${ticket.workflowId}` };
  }
  return coordinatedPushRun(input, progress, signals, continueWith);
}

async function coordinatedPushRun(
  input: PushSyncInput,
  progress: PushProgress,
  signals: { decision?: DeleteDecision; recheck: boolean },
  continueWith: (carry: PushCarry) => Promise<never>,
): Promise<PushSyncResult> {
  const { workflowId } = workflowInfo();
  // Until the run has begun and chosen its pass, a failure or cancel still finishes its row (pass: as asked).
  let carry: PushCarry = input.carry
    ? // A run of 0.1 continued as new on this version: its sweep starts over, guarded.
      input.carry.phase === 'sweep'
      ? { ...input.carry, phase: 'scan', sweepAfterKey: null }
      : input.carry
    : {
        runRowId: input.runId!,
        pass: input.fullResync ? 'full' : 'watermark',
        phase: 'upsert',
        fullAfterKey: null,
        sweepAfterKey: null,
        counts: emptyCounts(),
        batches: 0,
      };
  const base = { definitionId: input.definitionId, runRowId: carry.runRowId, context: input.context };
  const finish = (status: 'succeeded' | 'failed' | 'cancelled', error?: string) =>
    acts.finishPushRun({ ...base, workflowId, pass: carry.pass, status, ...(error ? { error } : {}) });

  /** The guard phase: evaluate; while it holds, wait for a decision or new limits. Returns the next phase. */
  async function guardDeletions(): Promise<PushPhase> {
    for (;;) {
      // A recheck signalled while the evaluation runs (new limits saved just as the run was held) must not be lost:
      // the flag is cleared before the evaluation, not after (before 0.5 it was cleared after, and such a run waited on).
      const clearEarly = patched(GUARD_RECHECK_PATCH);
      if (clearEarly) signals.recheck = false;
      const verdict = await acts.evaluateDeleteGuard(base);
      if (!verdict.held) return verdict.deletions > 0 ? 'delete' : 'done';
      progress.phase = 'awaiting-approval';
      progress.waitingFor = verdict.summary;
      setCurrentDetails(verdict.summary);
      if (!clearEarly) signals.recheck = false;
      while (!signals.decision && !signals.recheck) {
        await condition(() => signals.decision !== undefined || signals.recheck, WAIT_SLICE);
        // Never continue as new with a decision in hand: the new run would not know it.
        if (!signals.decision && !signals.recheck && workflowInfo().continueAsNewSuggested) await continueWith(carry);
      }
      setCurrentDetails('');
      delete progress.waitingFor;
      if (signals.decision) {
        await acts.recordDeleteDecision({ ...base, decision: signals.decision.decision, by: signals.decision.by });
        return signals.decision.decision === 'approve' ? 'delete' : 'done';
      }
    }
  }

  try {
    if (!input.carry) {
      await acts.beginOperation({ definitionId: input.definitionId, runId: carry.runRowId, kind: 'push', context: input.context });
      const prepared = await acts.preparePushRun({
        definitionId: input.definitionId,
        runId: carry.runRowId,
        fullResync: input.fullResync ?? false,
        context: input.context,
      });
      carry = { ...carry, pass: prepared.pass };
      if (patched(TWO_WAY_PATCH)) {
        const targets = await acts.cycleIngressTargets({ definitionId: input.definitionId, runRowId: carry.runRowId });
        if (targets.length) carry = { ...carry, phase: 'ingress', ingress: { targets, at: 0, counts: {} } };
      }
    }
    progress.pass = carry.pass;
    for (let batchesThisRun = 0; carry.phase !== 'done'; batchesThisRun++) {
      if (batchesThisRun >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) await continueWith(carry);
      progress.phase = carry.phase;
      if (carry.phase === 'guard') {
        carry = { ...carry, phase: await guardDeletions(), sweepAfterKey: null };
        continue;
      }
      if (carry.phase === 'ingress' && carry.ingress) {
        const ingress = carry.ingress;
        const page = await acts.ingressPage({ ...base, targetId: ingress.targets[ingress.at]!, countPrefix: 'ingress' });
        const at = page.done ? ingress.at + 1 : ingress.at;
        const counts = { ...ingress.counts };
        for (const [k, n] of Object.entries(page.counts)) counts[k] = (counts[k] ?? 0) + n;
        carry = { ...carry, batches: carry.batches + 1, ingress: { ...ingress, at, counts }, phase: at >= ingress.targets.length ? 'upsert' : 'ingress' };
        progress.ingressCounts = counts;
        progress.batches = carry.batches;
        continue;
      }
      const phase = carry.phase;
      const step =
        phase === 'upsert'
          ? await acts.pushBatch({ ...base, pass: carry.pass, afterKey: carry.fullAfterKey, batchNumber: carry.batches })
          : phase === 'scan'
            ? await acts.sweepScan({ ...base, afterKey: carry.sweepAfterKey })
            : await acts.sweepApply({ ...base, afterKey: carry.sweepAfterKey });
      const next: Partial<Record<PushPhase, PushPhase>> = { upsert: 'scan', scan: 'guard', delete: 'done' };
      carry = {
        ...carry,
        counts: addCounts(carry.counts, step.counts),
        batches: carry.batches + 1,
        ...(phase === 'upsert' ? { fullAfterKey: step.nextAfterKey } : { sweepAfterKey: step.done ? null : step.nextAfterKey }),
        phase: step.done ? (next[phase] ?? 'done') : phase,
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
