import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import type { OperationTicket } from '@syncbridge/shared/operations';
import { operationWorkflowId } from '@syncbridge/shared/temporal/ids';
import {
  deleteDecisionSignal,
  deleteGuardRecheckSignal,
  emptyCounts,
  pushProgressQuery,
  pushSyncWorkflow,
  type PushCarry,
  type PushCounts,
  type PushSyncInput,
} from '../src/push/workflow.ts';
import {
  awaitGateInActivity,
  Context,
  Gates,
  sleep,
  startDevServer,
  startWorker,
  testContext,
  waitFor,
  workflowBundle,
  type ActivityMocks,
  type AllActivities,
  type StepResult,
  type TestWorkflowEnvironment,
} from './support.ts';

/*
 * pushSyncWorkflow as the definition's coordinator starts it (input with runId), against a real
 * Temporal dev server, with every activity mocked: phases, counts, failure, cancellation,
 * continue-as-new, the mass-delete guard, and the forward to the coordinator.
 */

type Call = { name: keyof AllActivities; input: Record<string, unknown> };

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  // The bundle (seconds) is made here, not inside the first test's time-out.
  [env] = await Promise.all([startDevServer(), workflowBundle()]);
}, 60_000);
afterAll(async () => {
  await env?.teardown();
});

/** One test's workflow, worker and activity mocks (recorded in call order). */
async function pushRig(testEnv: TestWorkflowEnvironment, mocks: ActivityMocks) {
  const calls: Call[] = [];
  const recorded = Object.fromEntries(
    Object.entries(mocks).map(([name, fn]) => [
      name,
      (input: Record<string, unknown>) => {
        calls.push({ name: name as keyof AllActivities, input });
        return (fn as (i: unknown) => Promise<unknown>)(input);
      },
    ]),
  ) as ActivityMocks;
  const worker = await startWorker(testEnv, recorded);
  const definitionId = randomUUID();
  const runId = randomUUID();
  const workflowId = operationWorkflowId('push', definitionId, runId);
  const context = testContext();
  const input: PushSyncInput = { definitionId, runId, context, trigger: 'api' };
  return {
    calls,
    definitionId,
    runId,
    workflowId,
    context,
    input,
    taskQueue: worker.taskQueue,
    callsOf: (name: keyof AllActivities) => calls.filter((c) => c.name === name).map((c) => c.input),
    start: (over: Partial<PushSyncInput> = {}, id = workflowId) =>
      testEnv.client.workflow.start(pushSyncWorkflow, { taskQueue: worker.taskQueue, workflowId: id, args: [{ ...input, ...over }] }),
    stop: worker.stop,
  };
}

/** The mocks of a small run: one upsert batch, one scan page, nothing to delete. Tests override what they look at. */
function baseMocks(over: ActivityMocks = {}): ActivityMocks {
  return {
    beginOperation: async () => ({ instanceId: 'instance-1', reason: 'the pinned instance' }),
    preparePushRun: async () => ({ pass: 'watermark' }),
    cycleIngressTargets: async () => [],
    pushBatch: async () => ({ counts: { read: 1, unchanged: 1 }, nextAfterKey: null, done: true }),
    sweepScan: async () => ({ counts: {}, nextAfterKey: null, done: true }),
    evaluateDeleteGuard: async () => ({ held: false, deletions: 0, lists: [], summary: '0 deletion(s) within the guard' }),
    recordDeleteDecision: async () => {},
    sweepApply: async () => ({ counts: {}, nextAfterKey: null, done: true }),
    finishPushRun: async () => ({ ...emptyCounts() }),
    ...over,
  };
}

/** Inside an activity mock: the phase the workflow reports while this activity runs. */
async function phaseNow(): Promise<string> {
  const { workflowId, runId } = Context.current().info.workflowExecution!;
  return (await env.client.workflow.getHandle(workflowId, runId).query(pushProgressQuery)).phase;
}

const failureOf = async (p: Promise<unknown>) => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the workflow should have failed').toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause;
};

/** The input the workflow's current run was started with (after continue-as-new: the carry). */
async function currentRunInput(handle: WorkflowHandle): Promise<PushSyncInput> {
  const history = await handle.client.getHandle(handle.workflowId).fetchHistory();
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error("no input on the run's first event");
  return defaultPayloadConverter.fromPayload<PushSyncInput>(payload);
}

test('happy path: upsert -> scan -> guard -> delete -> done, positions passed on, counts added up', async () => {
  const phases: Array<[string, string]> = [];
  const gates = new Gates();
  const seen = async (activity: string) => void phases.push([activity, await phaseNow()]);
  const rig = await pushRig(
    env,
    baseMocks({
      pushBatch: async (input): Promise<StepResult> => {
        await seen('pushBatch');
        return input.afterKey === null
          ? { counts: { read: 3, created: 2, updated: 1 }, nextAfterKey: 'k1', done: false }
          : { counts: { read: 2, unchanged: 1, moved: 1 }, nextAfterKey: 'k2', done: true };
      },
      sweepScan: async (input) => {
        await seen('sweepScan');
        return input.afterKey === null ? { counts: {}, nextAfterKey: 's1', done: false } : { counts: {}, nextAfterKey: 's2', done: true };
      },
      evaluateDeleteGuard: async () => {
        await seen('evaluateDeleteGuard');
        return { held: false, deletions: 3, lists: [], summary: '3 deletion(s) within the guard' };
      },
      sweepApply: async () => {
        await seen('sweepApply');
        return { counts: { deleted: 3 }, nextAfterKey: null, done: true };
      },
      finishPushRun: async () => {
        await seen('finishPushRun');
        await gates.get('finish').promise;
        // What the meta-store committed batch by batch: the run's true totals.
        return { read: 5, created: 2, updated: 1, moved: 1, deleted: 3, unchanged: 1, quarantined: 0 };
      },
    }),
  );
  try {
    const handle = await rig.start();
    await waitFor(() => rig.callsOf('finishPushRun').length === 1, 'finishPushRun was not called');
    const before = await handle.query(pushProgressQuery);
    // The workflow's own sum of every step's counts, kept in its progress.
    expect(before.counts).toEqual({ read: 5, created: 2, updated: 1, moved: 1, deleted: 3, unchanged: 1, quarantined: 0 });
    expect(before.batches).toBe(5); // 2 upsert + 2 scan + 1 delete (the guard is no batch)
    gates.open('finish');
    const result = await handle.result();

    expect(result).toEqual({
      runRowId: rig.runId,
      status: 'succeeded',
      pass: 'watermark',
      counts: { read: 5, created: 2, updated: 1, moved: 1, deleted: 3, unchanged: 1, quarantined: 0 },
    });
    expect(phases).toEqual([
      ['pushBatch', 'upsert'],
      ['pushBatch', 'upsert'],
      ['sweepScan', 'scan'],
      ['sweepScan', 'scan'],
      ['evaluateDeleteGuard', 'guard'],
      ['sweepApply', 'delete'],
      ['finishPushRun', 'delete'],
    ]);
    expect((await handle.query(pushProgressQuery)).phase).toBe('done');

    expect(rig.calls.map((c) => c.name)).toEqual([
      'beginOperation',
      'preparePushRun',
      'cycleIngressTargets',
      'pushBatch',
      'pushBatch',
      'sweepScan',
      'sweepScan',
      'evaluateDeleteGuard',
      'sweepApply',
      'finishPushRun',
    ]);
    const base = { definitionId: rig.definitionId, runRowId: rig.runId, context: rig.context };
    expect(rig.callsOf('beginOperation')).toEqual([{ definitionId: rig.definitionId, runId: rig.runId, kind: 'push', context: rig.context }]);
    expect(rig.callsOf('preparePushRun')).toEqual([{ definitionId: rig.definitionId, runId: rig.runId, fullResync: false, context: rig.context }]);
    expect(rig.callsOf('pushBatch')).toEqual([
      { ...base, pass: 'watermark', afterKey: null, batchNumber: 0 },
      { ...base, pass: 'watermark', afterKey: 'k1', batchNumber: 1 },
    ]);
    expect(rig.callsOf('sweepScan')).toEqual([
      { ...base, afterKey: null },
      { ...base, afterKey: 's1' },
    ]);
    // The delete phase starts its own walk from the beginning (the scan's position is not reused).
    expect(rig.callsOf('sweepApply')).toEqual([{ ...base, afterKey: null }]);
    expect(rig.callsOf('finishPushRun')).toEqual([{ ...base, workflowId: rig.workflowId, pass: 'watermark', status: 'succeeded' }]);
  } finally {
    gates.openAll();
    await rig.stop();
  }
});

describe('a batch that fails for good ends the run as failed (PushFailed)', () => {
  test.each([
    ['a non-retryable ApplicationFailure', () => ApplicationFailure.nonRetryable('Graph refused the batch', 'GraphRejected')],
    ['a failure type the retry policy never retries (SchemaMismatch)', () => ApplicationFailure.retryable('Graph refused the batch', 'SchemaMismatch')],
  ])('%s', async (_label, failure) => {
    const rig = await pushRig(
      env,
      baseMocks({
        pushBatch: async (input) => {
          if (input.afterKey === null) return { counts: { read: 4, created: 4 }, nextAfterKey: 'k1', done: false };
          throw failure();
        },
      }),
    );
    try {
      const handle = await rig.start();
      const cause = await failureOf(handle.result());
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('PushFailed');
      expect((cause as ApplicationFailure).nonRetryable).toBe(true);
      expect(cause?.message).toBe('push run failed: Graph refused the batch');

      // Not retried; the run row is finished as failed with the activity's own message.
      expect(rig.callsOf('pushBatch')).toHaveLength(2);
      expect(rig.callsOf('finishPushRun')).toEqual([
        {
          definitionId: rig.definitionId,
          runRowId: rig.runId,
          context: rig.context,
          workflowId: rig.workflowId,
          pass: 'watermark',
          status: 'failed',
          error: 'Graph refused the batch',
        },
      ]);
      expect(rig.callsOf('sweepScan')).toHaveLength(0);
      expect((await handle.describe()).status.name).toBe('FAILED');
    } finally {
      await rig.stop();
    }
  });
});

test('two-way definition: each list is read back page by page (ingress phase) before the upsert, its counts kept apart', async () => {
  const phases: string[] = [];
  const rig = await pushRig(
    env,
    baseMocks({
      cycleIngressTargets: async () => ['target-a', 'target-b'],
      ingressPage: async (input) => {
        phases.push(`${input.targetId}:${await phaseNow()}`);
        const first = phases.filter((p) => p.startsWith(input.targetId)).length === 1;
        return { counts: { read: 2, updated: 1 }, done: input.targetId === 'target-b' || !first };
      },
    }),
  );
  try {
    const handle = await rig.start();
    await handle.result();
    expect(rig.calls.map((c) => c.name).slice(0, 7)).toEqual([
      'beginOperation',
      'preparePushRun',
      'cycleIngressTargets',
      'ingressPage',
      'ingressPage',
      'ingressPage',
      'pushBatch',
    ]);
    expect(phases).toEqual(['target-a:ingress', 'target-a:ingress', 'target-b:ingress']);
    const base = { definitionId: rig.definitionId, runRowId: rig.runId, context: rig.context, countPrefix: 'ingress' };
    expect(rig.callsOf('ingressPage')).toEqual([
      { ...base, targetId: 'target-a' },
      { ...base, targetId: 'target-a' },
      { ...base, targetId: 'target-b' },
    ]);
    expect((await handle.query(pushProgressQuery)).ingressCounts).toEqual({ read: 6, updated: 3 });
  } finally {
    await rig.stop();
  }
});

test('cancel mid-batch: the run is finished as cancelled only after the batch in flight acknowledged the cancellation', async () => {
  const events: string[] = [];
  const gates = new Gates();
  const rig = await pushRig(
    env,
    baseMocks({
      pushBatch: async (input): Promise<StepResult> => {
        if (input.afterKey === null) return { counts: { read: 2, created: 2 }, nextAfterKey: 'k1', done: false };
        events.push('batch started');
        try {
          await awaitGateInActivity(gates.get('never'));
          events.push('batch completed (not cancelled?)');
          return { counts: {}, nextAfterKey: 'k2', done: true };
        } catch (err) {
          events.push(`batch saw ${err instanceof CancelledFailure ? 'cancellation' : String(err)}`);
          // The real batch commits what Graph already wrote before it gives up: that takes a while.
          await sleep(300);
          events.push('batch committed what it wrote');
          throw err;
        }
      },
      finishPushRun: async (input) => {
        events.push(`finishPushRun ${input.status}`);
        return { ...emptyCounts(), read: 2, created: 2 };
      },
    }),
  );
  try {
    const handle = await rig.start();
    await waitFor(() => events.includes('batch started'), 'the second batch did not start');
    await handle.cancel();
    const cause = await failureOf(handle.result());
    expect(cause).toBeInstanceOf(CancelledFailure);
    expect(events).toEqual(['batch started', 'batch saw cancellation', 'batch committed what it wrote', 'finishPushRun cancelled']);
    expect(rig.callsOf('finishPushRun')).toEqual([
      {
        definitionId: rig.definitionId,
        runRowId: rig.runId,
        context: rig.context,
        workflowId: rig.workflowId,
        pass: 'watermark',
        status: 'cancelled',
        error: 'cancelled',
      },
    ]);
    expect((await handle.describe()).status.name).toBe('CANCELLED');
  } finally {
    gates.openAll();
    await rig.stop();
  }
});

describe('before its first batch, a run still finishes its row', () => {
  test('a failure while it begins (no usable source instance) finishes the run as failed', async () => {
    const rig = await pushRig(
      env,
      baseMocks({
        beginOperation: async () => {
          throw ApplicationFailure.nonRetryable('no usable instance of database "shop"', 'NoSourceInstance');
        },
      }),
    );
    try {
      const cause = await failureOf((await rig.start()).result());
      expect((cause as ApplicationFailure).type).toBe('PushFailed');
      expect(rig.callsOf('preparePushRun')).toHaveLength(0);
      expect(rig.callsOf('finishPushRun')).toEqual([
        expect.objectContaining({ runRowId: rig.runId, status: 'failed', error: 'no usable instance of database "shop"' }),
      ]);
    } finally {
      await rig.stop();
    }
  });

  test('a cancel while it prepares finishes the run as cancelled', async () => {
    const gates = new Gates();
    let preparing = false;
    const rig = await pushRig(
      env,
      baseMocks({
        preparePushRun: async () => {
          preparing = true;
          await awaitGateInActivity(gates.get('never'));
          return { pass: 'watermark' };
        },
      }),
    );
    try {
      const handle = await rig.start({ fullResync: true });
      await waitFor(() => preparing, 'the run did not start preparing');
      await handle.cancel();
      expect(await failureOf(handle.result())).toBeInstanceOf(CancelledFailure);
      expect(rig.callsOf('pushBatch')).toHaveLength(0);
      expect(rig.callsOf('finishPushRun')).toEqual([expect.objectContaining({ runRowId: rig.runId, status: 'cancelled', pass: 'full' })]);
    } finally {
      gates.openAll();
      await rig.stop();
    }
  });
});

test('more than 100 batches: the run continues as new and carries its position, batch number and counts', async () => {
  const TOTAL = 103;
  const gates = new Gates();
  const rig = await pushRig(
    env,
    baseMocks({
      preparePushRun: async () => ({ pass: 'full' }),
      pushBatch: async (input) => {
        const n = input.batchNumber ?? -1;
        return { counts: { read: 1, ...(n % 2 === 0 ? { created: 1 } : { updated: 1 }) }, nextAfterKey: `key-${n}`, done: n === TOTAL - 1 };
      },
      sweepScan: async () => ({ counts: { quarantined: 1 }, nextAfterKey: null, done: true }),
      finishPushRun: async () => {
        await gates.get('finish').promise;
        return { ...emptyCounts(), read: TOTAL };
      },
    }),
  );
  try {
    const handle = await rig.start({ fullResync: true });
    await waitFor(
      () => rig.callsOf('finishPushRun').length === 1,
      () => `finishPushRun was not called (${rig.callsOf('pushBatch').length} batches so far)`,
      30_000,
    );

    // Every batch went on from where the one before stopped, across the new run.
    const batches = rig.callsOf('pushBatch');
    expect(batches.map((b) => b.batchNumber)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    expect(batches.map((b) => b.afterKey)).toEqual([null, ...Array.from({ length: TOTAL - 1 }, (_, i) => `key-${i}`)]);
    expect(batches.every((b) => b.pass === 'full' && b.runRowId === rig.runId)).toBe(true);
    // The new run did not begin the operation again.
    expect(rig.callsOf('beginOperation')).toHaveLength(1);
    expect(rig.callsOf('preparePushRun')).toEqual([{ definitionId: rig.definitionId, runId: rig.runId, fullResync: true, context: rig.context }]);

    // The counts of both runs, added up by the workflow.
    const progress = await handle.query(pushProgressQuery);
    const expected: PushCounts = { ...emptyCounts(), read: TOTAL, created: Math.ceil(TOTAL / 2), updated: Math.floor(TOTAL / 2), quarantined: 1 };
    expect(progress.counts).toEqual(expected);
    expect(progress.batches).toBe(TOTAL + 1);

    // The history shows it: the first run continued as new, and the new run's input is the carry after batch 100.
    expect((await env.client.workflow.getHandle(rig.workflowId, handle.firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
    const carried = await currentRunInput(handle);
    expect(carried).toEqual({
      ...rig.input,
      fullResync: true,
      carry: {
        runRowId: rig.runId,
        pass: 'full',
        phase: 'upsert',
        fullAfterKey: 'key-99',
        sweepAfterKey: null,
        counts: { ...emptyCounts(), read: 100, created: 50, updated: 50 },
        batches: 100,
      } satisfies PushCarry,
    });

    gates.open('finish');
    const result = await handle.result();
    expect(result.status).toBe('succeeded');
    expect(result.runRowId).toBe(rig.runId);
    expect(rig.callsOf('finishPushRun')).toEqual([
      { definitionId: rig.definitionId, runRowId: rig.runId, context: rig.context, workflowId: rig.workflowId, pass: 'full', status: 'succeeded' },
    ]);
  } finally {
    gates.openAll();
    await rig.stop();
  }
}, 20_000);

describe('the mass-delete guard', () => {
  const HELD = 'Mass-delete guard: this run would delete 40 item(s); 40 of 50 in list "Orders" is over the limit of 10. Nothing was deleted.';
  const held = { held: true, deletions: 40, lists: [{ targetId: 't1', listDisplayName: 'Orders', deletions: 40, items: 50, limit: 10 }], summary: HELD };
  const guardMocks = (verdicts: Array<typeof held | { held: false; deletions: number; lists: []; summary: string }>) =>
    baseMocks({
      sweepScan: async () => ({ counts: {}, nextAfterKey: null, done: true }),
      evaluateDeleteGuard: async () => verdicts.shift() ?? held,
      sweepApply: async () => ({ counts: { deleted: 40 }, nextAfterKey: null, done: true }),
      finishPushRun: async () => ({ ...emptyCounts() }),
    });

  async function awaitingApproval(handle: WorkflowHandle<typeof pushSyncWorkflow>, summary = HELD) {
    return waitFor(async () => {
      const p = await handle.query(pushProgressQuery);
      return p.phase === 'awaiting-approval' && p.waitingFor === summary ? p : undefined;
    }, 'the run did not wait for approval');
  }

  test('held -> waits for a person -> approve: the decision is recorded, then the deletions are applied', async () => {
    const rig = await pushRig(env, guardMocks([]));
    try {
      const handle = await rig.start();
      await awaitingApproval(handle);
      // Waiting: nothing deleted, and it stays so while nobody decides.
      await sleep(300);
      expect(rig.callsOf('sweepApply')).toHaveLength(0);
      expect(rig.callsOf('evaluateDeleteGuard')).toHaveLength(1);

      await handle.signal(deleteDecisionSignal, { decision: 'approve', by: 'key-operator' });
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      const names = rig.calls.map((c) => c.name);
      expect(names.slice(names.indexOf('evaluateDeleteGuard'))).toEqual(['evaluateDeleteGuard', 'recordDeleteDecision', 'sweepApply', 'finishPushRun']);
      expect(rig.callsOf('recordDeleteDecision')).toEqual([
        { definitionId: rig.definitionId, runRowId: rig.runId, context: rig.context, decision: 'approve', by: 'key-operator' },
      ]);
      expect(rig.callsOf('sweepApply')).toEqual([{ definitionId: rig.definitionId, runRowId: rig.runId, context: rig.context, afterKey: null }]);
      const after = await handle.query(pushProgressQuery);
      expect(after.phase).toBe('done');
      expect(after.waitingFor).toBeUndefined();
    } finally {
      await rig.stop();
    }
  });

  test('held -> reject: the decision is recorded and nothing is deleted', async () => {
    const rig = await pushRig(env, guardMocks([]));
    try {
      const handle = await rig.start();
      await awaitingApproval(handle);
      await handle.signal(deleteDecisionSignal, { decision: 'reject', by: 'key-operator' });
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      expect(rig.callsOf('recordDeleteDecision')).toEqual([
        { definitionId: rig.definitionId, runRowId: rig.runId, context: rig.context, decision: 'reject', by: 'key-operator' },
      ]);
      expect(rig.callsOf('sweepApply')).toHaveLength(0);
      expect(rig.callsOf('finishPushRun').map((c) => c.status)).toEqual(['succeeded']);
    } finally {
      await rig.stop();
    }
  });

  test('held -> recheck (limits changed) evaluates again: still held waits on, then within the guard deletes without a decision', async () => {
    const stillHeld = { ...held, summary: `${HELD} (limit now 20)` };
    const rig = await pushRig(env, guardMocks([held, stillHeld, { held: false, deletions: 40, lists: [], summary: '40 deletion(s) within the guard' }]));
    try {
      const handle = await rig.start();
      await awaitingApproval(handle);
      await handle.signal(deleteGuardRecheckSignal);
      await waitFor(() => rig.callsOf('evaluateDeleteGuard').length === 2, 'the recheck did not evaluate the guard again');
      // Still held: waits again, with the new verdict's text.
      await awaitingApproval(handle, stillHeld.summary);
      expect(rig.callsOf('sweepApply')).toHaveLength(0);

      await handle.signal(deleteGuardRecheckSignal);
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      expect(rig.callsOf('evaluateDeleteGuard')).toHaveLength(3);
      expect(rig.callsOf('recordDeleteDecision')).toHaveLength(0);
      expect(rig.callsOf('sweepApply')).toHaveLength(1);
    } finally {
      await rig.stop();
    }
  });

  test('cancelled while awaiting approval: finished as cancelled, nothing deleted', async () => {
    const rig = await pushRig(env, guardMocks([]));
    try {
      const handle = await rig.start();
      await awaitingApproval(handle);
      await handle.cancel();
      expect(await failureOf(handle.result())).toBeInstanceOf(CancelledFailure);
      expect(rig.callsOf('finishPushRun').map((c) => [c.status, c.error])).toEqual([['cancelled', 'cancelled']]);
      expect(rig.callsOf('sweepApply')).toHaveLength(0);
      expect(rig.callsOf('recordDeleteDecision')).toHaveLength(0);
    } finally {
      await rig.stop();
    }
  });
});

test('a push started without a runId (old schedule, Web UI) asks the coordinator through requestOperation and ends as forwarded', async () => {
  const ticketRunId = randomUUID();
  let ticket: OperationTicket | undefined;
  const rig = await pushRig(
    env,
    baseMocks({
      requestOperation: async (input) => {
        ticket = {
          runId: ticketRunId,
          kind: 'push',
          workflowId: operationWorkflowId('push', input.definitionId, ticketRunId),
          state: 'queued',
          reason: 'waits for push run x to end',
        };
        return ticket;
      },
    }),
  );
  try {
    const legacyId = `push-schedule/${rig.definitionId}-2024-01-01T00:00:00Z`;
    const context = { requestId: 'sched', requestedBy: 'schedule' };
    const handle = await rig.start({ runId: undefined, fullResync: true, trigger: 'schedule', context }, legacyId);
    const result = await handle.result();
    expect(result).toEqual({
      runRowId: ticketRunId,
      status: 'forwarded',
      pass: null,
      counts: emptyCounts(),
      reason: `queued as ${operationWorkflowId('push', rig.definitionId, ticketRunId)}`,
    });
    const [asked] = rig.callsOf('requestOperation') as Array<{ definitionId: string; request: Record<string, unknown> }>;
    expect(asked).toEqual({
      definitionId: rig.definitionId,
      request: {
        kind: 'push',
        requestId: legacyId,
        runId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        requestedBy: 'schedule',
        trigger: 'schedule',
        options: { fullResync: true },
      },
    });
    // It ran nothing itself.
    expect(rig.calls.map((c) => c.name)).toEqual(['requestOperation']);
  } finally {
    await rig.stop();
  }
});

describe('with a history Temporal soon asks to continue as new', () => {
  // A tiny threshold: from the second workflow task of each run on, continue-as-new is suggested.
  let smallEnv: TestWorkflowEnvironment;
  beforeAll(async () => {
    smallEnv = await startDevServer({ suggestContinueAsNewAfter: 6 });
  }, 60_000);
  afterAll(async () => {
    await smallEnv?.teardown();
  });

  test('a run continued as new at every step still passes every position on and adds every count up once', async () => {
    const gates = new Gates();
    const rig = await pushRig(
      smallEnv,
      baseMocks({
        pushBatch: async (input) => ({ counts: { read: 2, created: 1, unchanged: 1 }, nextAfterKey: `k${input.batchNumber}`, done: input.batchNumber === 4 }),
        sweepScan: async (input) =>
          input.afterKey === null ? { counts: {}, nextAfterKey: 's1', done: false } : { counts: {}, nextAfterKey: null, done: true },
        evaluateDeleteGuard: async () => ({ held: false, deletions: 2, lists: [], summary: '2 deletion(s) within the guard' }),
        sweepApply: async () => ({ counts: { deleted: 2 }, nextAfterKey: null, done: true }),
        finishPushRun: async () => {
          await gates.get('finish').promise;
          return { ...emptyCounts() };
        },
      }),
    );
    try {
      const handle = await rig.start();
      await waitFor(() => rig.callsOf('finishPushRun').length === 1, 'finishPushRun was not called', 15_000);
      expect(rig.callsOf('pushBatch').map((b) => [b.batchNumber, b.afterKey])).toEqual([
        [0, null],
        [1, 'k0'],
        [2, 'k1'],
        [3, 'k2'],
        [4, 'k3'],
      ]);
      expect(rig.callsOf('sweepScan').map((s) => s.afterKey)).toEqual([null, 's1']);
      expect(rig.callsOf('evaluateDeleteGuard')).toHaveLength(1);
      expect(rig.callsOf('sweepApply')).toHaveLength(1);
      expect(rig.callsOf('beginOperation')).toHaveLength(1);
      expect((await handle.query(pushProgressQuery)).counts).toEqual({ ...emptyCounts(), read: 10, created: 5, unchanged: 5, deleted: 2 });
      // The last run began with the carry of everything before the delete step.
      const carried = await currentRunInput(handle);
      expect(carried.carry).toMatchObject({ phase: 'delete', batches: 7, counts: { ...emptyCounts(), read: 10, created: 5, unchanged: 5 } });
      expect((await smallEnv.client.workflow.getHandle(rig.workflowId, handle.firstExecutionRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
      gates.open('finish');
      expect((await handle.result()).status).toBe('succeeded');
    } finally {
      gates.openAll();
      await rig.stop();
    }
  }, 20_000);

  test('an approval that arrives when Temporal suggests continue-as-new is not lost', async () => {
    const rig = await pushRig(
      smallEnv,
      baseMocks({
        evaluateDeleteGuard: async () => ({ held: true, deletions: 40, lists: [], summary: 'held: 40 deletions' }),
        sweepApply: async () => ({ counts: { deleted: 40 }, nextAfterKey: null, done: true }),
      }),
    );
    let handle: WorkflowHandle<typeof pushSyncWorkflow> | undefined;
    try {
      handle = await rig.start();
      const h = handle;
      await waitFor(async () => (await h.query(pushProgressQuery)).phase === 'awaiting-approval', 'the run did not wait for approval');
      await handle.signal(deleteDecisionSignal, { decision: 'approve', by: 'key-operator' });
      // Either the decision is recorded, or the run went round again (evaluated the guard anew) without it.
      await waitFor(
        () => rig.callsOf('recordDeleteDecision').length > 0 || rig.callsOf('evaluateDeleteGuard').length > 1,
        'the run neither recorded the decision nor evaluated the guard again',
      );
      expect(
        rig.callsOf('recordDeleteDecision'),
        `the approval was dropped: recordDeleteDecision was never called; the guard was evaluated ${rig.callsOf('evaluateDeleteGuard').length} times ` +
          '(the run continued as new with the decision pending, and waits for approval again). ' +
          'workflows/src/push/workflow.ts guardDeletions(): after condition() returns, it continues as new when Temporal suggests it before it looks at signals.decision',
      ).toHaveLength(1);
      const result = await handle.result();
      expect(result.status).toBe('succeeded');
      expect(rig.callsOf('sweepApply')).toHaveLength(1);
    } finally {
      await handle?.terminate('test over').catch(() => {});
      await rig.stop();
    }
  }, 20_000);
});
