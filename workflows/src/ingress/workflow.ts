import {
  ActivityCancellationType,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { IngressActivities, OperationActivities } from '@syncbridge/activities';
import { NON_RETRYABLE_FAILURE_TYPES } from '@syncbridge/shared/errors';
import type { RunContext } from '@syncbridge/shared/temporal';

export interface IngressInput {
  definitionId: string;
  /** Set by the definition's coordinator, which created the run. Without it the workflow asks the coordinator, and ends. */
  runId?: string;
  context: RunContext;
  /** Where a run that continued as new stands. */
  carry?: IngressCarry;
}

export interface IngressCarry {
  targets: string[];
  /** Index into `targets` of the list being read. */
  at: number;
  pages: number;
  counts: Record<string, number>;
}

export interface IngressProgress {
  definitionId: string;
  phase: 'starting' | 'reading' | 'done';
  target: string | null;
  pages: number;
  counts: Record<string, number>;
}

export interface IngressResult {
  runRowId: string;
  status: 'succeeded' | 'forwarded';
  counts: Record<string, number>;
}

export const ingressProgressQuery = defineQuery<IngressProgress>('ingressProgress');

/** Pages per workflow run before continuing as new, to keep each history small. */
const PAGES_PER_RUN = 100;

const acts = proxyActivities<IngressActivities & OperationActivities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 12,
    nonRetryableErrorTypes: NON_RETRYABLE_FAILURE_TYPES,
  },
});

const errorText = (err: unknown) => (err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err));

function add(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, n] of Object.entries(b)) out[k] = (out[k] ?? 0) + n;
  return out;
}

/**
 * Ingress: each target list's changes since the last round (Graph delta), page by page, into
 * the table through the connector's write path. Each page is one activity that commits the
 * ledger and the list's delta position with the changes it covers, so a retried or resumed run
 * starts where the last commit left it.
 */
export async function ingressWorkflow(input: IngressInput): Promise<IngressResult> {
  const progress: IngressProgress = {
    definitionId: input.definitionId,
    phase: 'starting',
    target: null,
    pages: input.carry?.pages ?? 0,
    counts: input.carry?.counts ?? {},
  };
  setHandler(ingressProgressQuery, () => progress);
  if (!input.runId) {
    const ticket = await acts.requestOperation({
      definitionId: input.definitionId,
      request: { kind: 'ingress', requestId: workflowInfo().workflowId, runId: uuid4(), requestedBy: input.context.requestedBy, trigger: 'api', options: {} },
    });
    return { runRowId: ticket.runId, status: 'forwarded', counts: {} };
  }
  const runId = input.runId;
  const base = { definitionId: input.definitionId, runRowId: runId, context: input.context };
  try {
    let carry: IngressCarry;
    if (input.carry) carry = input.carry;
    else {
      await acts.beginOperation({ definitionId: input.definitionId, runId, kind: 'ingress', context: input.context });
      carry = { targets: await acts.ingressTargets(base), at: 0, pages: 0, counts: {} };
      // Conflicts people resolved since the last run go first: their rows and items are settled before the lists are read.
      carry = { ...carry, counts: add(carry.counts, (await acts.applyConflictResolutions(base)).counts) };
    }
    for (let pagesThisRun = 0; carry.at < carry.targets.length; pagesThisRun++) {
      if (pagesThisRun >= PAGES_PER_RUN || workflowInfo().continueAsNewSuggested) await continueAsNew<typeof ingressWorkflow>({ ...input, carry });
      const targetId = carry.targets[carry.at]!;
      progress.phase = 'reading';
      progress.target = targetId;
      const page = await acts.ingressPage({ ...base, targetId });
      carry = { ...carry, pages: carry.pages + 1, counts: add(carry.counts, page.counts), at: page.done ? carry.at + 1 : carry.at };
      progress.pages = carry.pages;
      progress.counts = carry.counts;
    }
    // And those resolved while this run read the lists (their request joined this run).
    carry = { ...carry, counts: add(carry.counts, (await acts.applyConflictResolutions(base)).counts) };
    await acts.finishOperation({ runId, status: 'succeeded', counts: carry.counts });
    progress.phase = 'done';
    return { runRowId: runId, status: 'succeeded', counts: carry.counts };
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => acts.finishOperation({ runId, status: 'cancelled', error: 'cancelled' }));
      throw err;
    }
    await acts.finishOperation({ runId, status: 'failed', error: errorText(err) });
    throw err;
  }
}
