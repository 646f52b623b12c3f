import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { ActiveOperation } from '@syncbridge/activities';
import type { OperationKind, OperationRequest, OperationTicket } from '@syncbridge/shared/operations';
import { definitionWorkflowId, operationWorkflowId } from '@syncbridge/shared/temporal/ids';
import { CoordinatorClient } from '../src/definition/client.ts';
import {
  cancelQueuedSignal,
  operationsQuery,
  requestOperationUpdate,
  type CoordinatorView,
  type definitionWorkflow,
  type DefinitionWorkflowInput,
} from '../src/definition/workflow.ts';
import { emptyCounts, pushSyncWorkflow } from '../src/push/workflow.ts';
import {
  awaitGateInActivity,
  Gates,
  sleep,
  startDevServer,
  startWorker,
  waitFor,
  workflowBundle,
  type ActivityMocks,
  type AllActivities,
  type TestWorkflowEnvironment,
} from './support.ts';

/*
 * The definition's coordinator (definitionWorkflow) on a real Temporal dev server, asked the way
 * the API asks it (CoordinatorClient: update-with-start), with its activities and its children's
 * activities mocked. A child operation runs until the test lets it end (its first batch, or its
 * field mappings, wait on a gate named after its run id).
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

interface RigOptions {
  /** What activeOperations finds in the meta-store for the definition (a coordinator started afresh adopts it). */
  active?: (definitionId: string) => ActiveOperation[];
  /** Replaces mocks (still recorded); they may use the rig's gates and event list. */
  mocks?: (rig: { gates: Gates; events: string[] }) => ActivityMocks;
  testEnv?: TestWorkflowEnvironment;
}

/** One definition, its coordinator's worker, the activity mocks and what happened, in order. */
async function coordinatorRig(opts: RigOptions = {}) {
  const testEnv = opts.testEnv ?? env;
  const definitionId = randomUUID();
  const gates = new Gates();
  /** What happened, in order: activity calls that matter and the answers the test got. */
  const events: string[] = [];
  const calls: Call[] = [];
  const mocks: ActivityMocks = {
    // The coordinator's own activities.
    createOperationRun: async (input) => {
      events.push(`created ${input.runId}`);
    },
    activeOperations: async (input) => opts.active?.(input.definitionId) ?? [],
    finishOperation: async (input) => {
      events.push(`finishOperation ${input.runId} ${input.status}`);
    },
    awaitOperationClosed: async (input) => {
      events.push(`watch ${input.runId}`);
      await gates.get(`closed ${input.runId}`).promise;
      events.push(`closed ${input.runId}`);
    },
    // The children's: a push runs one batch, held on its gate; a provision holds in ensureFieldMappings.
    beginOperation: async (input) => {
      events.push(`begin ${input.kind} ${input.runId}`);
      return { instanceId: 'instance-1', reason: 'the primary' };
    },
    preparePushRun: async () => ({ pass: 'watermark' }),
    cycleIngressTargets: async () => [],
    pushBatch: async (input) => {
      await awaitGateInActivity(gates.get(`run ${input.runRowId}`));
      return { counts: { read: 1, unchanged: 1 }, nextAfterKey: null, done: true };
    },
    sweepScan: async () => ({ counts: {}, nextAfterKey: null, done: true }),
    evaluateDeleteGuard: async () => ({ held: false, deletions: 0, lists: [], summary: '0 deletion(s) within the guard' }),
    finishPushRun: async (input) => {
      events.push(`end push ${input.runRowId} ${input.status}`);
      return { ...emptyCounts(), read: 1, unchanged: 1 };
    },
    ensureFieldMappings: async (input) => {
      await awaitGateInActivity(gates.get(`run ${input.runId}`));
      return { mappingsCreated: 0, targetIds: [] };
    },
    ...opts.mocks?.({ gates, events }),
  };
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
  const coordinators = new CoordinatorClient(testEnv.client, worker.taskQueue);
  const coordinator: WorkflowHandle<typeof definitionWorkflow> = testEnv.client.workflow.getHandle(definitionWorkflowId(definitionId));

  const rig = {
    definitionId,
    events,
    calls,
    gates,
    coordinators,
    coordinator,
    taskQueue: worker.taskQueue,
    callsOf: (name: keyof AllActivities) => calls.filter((c) => c.name === name).map((c) => c.input),
    /** A fresh request, as the API draws it. */
    request: (kind: OperationKind, options: Record<string, unknown> = {}): OperationRequest => ({
      kind,
      requestId: randomUUID(),
      runId: randomUUID(),
      requestedBy: 'key-test',
      trigger: 'api',
      options,
    }),
    /** Asks the coordinator (update-with-start, as the API does) and notes the answer. */
    async ask(request: OperationRequest): Promise<OperationTicket> {
      const ticket = await coordinators.request(definitionId, request);
      events.push(`answered ${ticket.runId} ${ticket.state}`);
      return ticket;
    },
    /** Lets the operation run `runId` end (its held activity returns). */
    release: (runId: string) => gates.open(`run ${runId}`),
    view: async (): Promise<CoordinatorView['operations']> => (await coordinator.query(operationsQuery)).operations,
    states: async () => (await rig.view()).map((o) => [o.runId, o.state]),
    began: (runId: string) => events.some((e) => e.startsWith('begin ') && e.endsWith(` ${runId}`)),
    /** Index of the first event starting with the text (fails if absent). */
    at(text: string): number {
      const i = events.findIndex((e) => e.startsWith(text));
      expect(i, `event "${text}" did not happen; events: ${JSON.stringify(events)}`).toBeGreaterThanOrEqual(0);
      return i;
    },
    waitEvent: (text: string, timeoutMs = 5_000) =>
      waitFor(
        () => events.some((e) => e.startsWith(text)),
        () => `no event "${text}"; events: ${JSON.stringify(events)}`,
        timeoutMs,
      ),
    async stop() {
      gates.openAll();
      await worker.stop();
    },
  };
  return rig;
}

/** The failure an update was answered with (the validator's rejection). */
async function rejection(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the request should have been rejected').toBeInstanceOf(WorkflowUpdateFailedError);
  const cause = (err as WorkflowUpdateFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

test('a request while idle starts the operation: the run row is created first, then the answer, then the child runs', async () => {
  const rig = await coordinatorRig();
  try {
    const a = rig.request('push');
    const ticket = await rig.ask(a);
    const workflowId = operationWorkflowId('push', rig.definitionId, a.runId);
    expect(ticket).toEqual({ runId: a.runId, kind: 'push', workflowId, state: 'started' });
    // The sync_runs row exists before the caller has its id.
    expect(rig.callsOf('createOperationRun')).toEqual([{ definitionId: rig.definitionId, runId: a.runId, kind: 'push', workflowId, request: a }]);
    expect(rig.at(`created ${a.runId}`)).toBeLessThan(rig.at(`answered ${a.runId}`));
    // A coordinator started afresh looked for runs to adopt.
    expect(rig.callsOf('activeOperations')).toEqual([{ definitionId: rig.definitionId }]);

    await rig.waitEvent(`begin push ${a.runId}`);
    await waitFor(() => rig.callsOf('pushBatch').length === 1, 'the push did not reach its first batch');
    // The operation is a child of the coordinator, with the request's context.
    const child = await env.client.workflow.getHandle(workflowId).describe();
    expect(child.type).toBe('pushSyncWorkflow');
    expect(child.parentExecution?.workflowId).toBe(definitionWorkflowId(rig.definitionId));
    expect(rig.callsOf('beginOperation')).toEqual([
      { definitionId: rig.definitionId, runId: a.runId, kind: 'push', context: { requestId: a.requestId, requestedBy: 'key-test' } },
    ]);
    expect(rig.callsOf('preparePushRun')).toMatchObject([{ runId: a.runId, fullResync: false }]);
    expect(await rig.view()).toEqual([{ runId: a.runId, kind: 'push', workflowId, state: 'running', requestedBy: 'key-test' }]);

    rig.release(a.runId);
    await rig.waitEvent(`end push ${a.runId} succeeded`);
    await waitFor(async () => (await rig.view()).length === 0, "the finished run stayed in the coordinator's list");
  } finally {
    await rig.stop();
  }
});

test('writers never run at once: later ones are queued (naming the run they wait for) and start one by one in request order; the query shows it', async () => {
  const rig = await coordinatorRig();
  try {
    const a = rig.request('push');
    const b = rig.request('provision');
    const c = rig.request('push', { fullResync: true });
    expect((await rig.ask(a)).state).toBe('started');
    const tb = await rig.ask(b);
    const tc = await rig.ask(c);
    expect(tb).toMatchObject({ runId: b.runId, kind: 'provision', workflowId: operationWorkflowId('provision', rig.definitionId, b.runId), state: 'queued' });
    expect(tb.reason).toContain(`push run ${a.runId}`);
    expect(tc).toMatchObject({ runId: c.runId, kind: 'push', state: 'queued' });
    // The reason names the run directly ahead (b), not the first one (a).
    expect(tc.reason).toContain(`provision run ${b.runId}`);
    // Queued runs exist too (the API shows them, and may cancel them).
    expect(rig.callsOf('createOperationRun').map((x) => x.runId)).toEqual([a.runId, b.runId, c.runId]);

    await rig.waitEvent(`begin push ${a.runId}`);
    expect(await rig.view()).toEqual([
      { runId: a.runId, kind: 'push', workflowId: operationWorkflowId('push', rig.definitionId, a.runId), state: 'running', requestedBy: 'key-test' },
      { runId: b.runId, kind: 'provision', workflowId: operationWorkflowId('provision', rig.definitionId, b.runId), state: 'queued', requestedBy: 'key-test' },
      { runId: c.runId, kind: 'push', workflowId: operationWorkflowId('push', rig.definitionId, c.runId), state: 'queued', requestedBy: 'key-test' },
    ]);
    await sleep(300);
    expect(rig.began(b.runId) || rig.began(c.runId)).toBe(false);

    rig.release(a.runId);
    await rig.waitEvent(`begin provision ${b.runId}`);
    expect(rig.at(`end push ${a.runId}`)).toBeLessThan(rig.at(`begin provision ${b.runId}`));
    expect(await rig.states()).toEqual([
      [b.runId, 'running'],
      [c.runId, 'queued'],
    ]);
    await sleep(300);
    expect(rig.began(c.runId)).toBe(false);

    rig.release(b.runId);
    await rig.waitEvent(`begin push ${c.runId}`);
    expect(rig.at(`finishOperation ${b.runId} succeeded`)).toBeLessThan(rig.at(`begin push ${c.runId}`));
    await waitFor(() => rig.callsOf('pushBatch').some((x) => x.runRowId === c.runId), 'the last push did not reach its batch');
    expect(rig.callsOf('preparePushRun').map((x) => [x.runId, x.fullResync])).toEqual([
      [a.runId, false],
      [c.runId, true],
    ]);
    rig.release(c.runId);
    await rig.waitEvent(`end push ${c.runId} succeeded`);
    expect(rig.events.filter((e) => e.startsWith('begin '))).toEqual([`begin push ${a.runId}`, `begin provision ${b.runId}`, `begin push ${c.runId}`]);
  } finally {
    await rig.stop();
  }
});

test('a request equal to a queued one joins it (same run id); behind a running one it is queued once', async () => {
  const rig = await coordinatorRig();
  try {
    const a = rig.request('push');
    expect((await rig.ask(a)).state).toBe('started');
    await rig.waitEvent(`begin push ${a.runId}`);
    // "Run push now" during a push: a follow-up run, not the running one (it may have read the source already).
    const b = rig.request('push');
    const tb = await rig.ask(b);
    expect(tb).toMatchObject({ runId: b.runId, state: 'queued' });
    // Any further equal request joins the follow-up.
    const c = rig.request('push');
    const tc = await rig.ask(c);
    expect(tc).toMatchObject({ runId: b.runId, kind: 'push', workflowId: tb.workflowId, state: 'joined' });
    expect(tc.reason).toContain('queued');
    // Other options are another operation.
    const d = rig.request('push', { fullResync: true });
    const td = await rig.ask(d);
    expect(td).toMatchObject({ runId: d.runId, state: 'queued' });
    const e = rig.request('push', { fullResync: true });
    expect(await rig.ask(e)).toMatchObject({ runId: d.runId, state: 'joined' });

    // A joined request creates no run.
    expect(rig.callsOf('createOperationRun').map((x) => x.runId)).toEqual([a.runId, b.runId, d.runId]);
    expect(await rig.states()).toEqual([
      [a.runId, 'running'],
      [b.runId, 'queued'],
      [d.runId, 'queued'],
    ]);

    rig.release(a.runId);
    await rig.waitEvent(`begin push ${b.runId}`);
    rig.release(b.runId);
    await rig.waitEvent(`begin push ${d.runId}`);
    rig.release(d.runId);
    await rig.waitEvent(`end push ${d.runId}`);
    expect(rig.events.filter((x) => x.startsWith('begin '))).toEqual([`begin push ${a.runId}`, `begin push ${b.runId}`, `begin push ${d.runId}`]);
  } finally {
    await rig.stop();
  }
});

test('a repeated request id gets the same ticket, by update id and in the workflow itself; no second run', async () => {
  const rig = await coordinatorRig();
  try {
    const a = rig.request('push');
    const ta = await rig.ask(a);
    expect(ta.state).toBe('started');
    const b = rig.request('provision');
    const tb = await rig.ask(b);
    expect(tb.state).toBe('queued');

    // The same request again (a client retry): same update id.
    expect(await rig.ask(a)).toEqual(ta);
    expect(await rig.ask(b)).toEqual(tb);
    // The same request id under another update id, even with another run id drawn: the workflow's own memory answers.
    for (const [req, ticket] of [
      [a, ta],
      [b, tb],
    ] as const) {
      const again = await rig.coordinator.executeUpdate(requestOperationUpdate, { args: [{ ...req, runId: randomUUID() }], updateId: `retry-${randomUUID()}` });
      expect(again).toEqual(ticket);
    }
    expect(rig.callsOf('createOperationRun').map((x) => x.runId)).toEqual([a.runId, b.runId]);
    expect((await rig.view()).map((o) => o.runId)).toEqual([a.runId, b.runId]);
  } finally {
    await rig.stop();
  }
});

test('the update validator rejects unknown kinds and malformed requests (nothing recorded)', async () => {
  const rig = await coordinatorRig();
  try {
    const cases: Array<[string, OperationRequest, 'InvalidInput', string]> = [
      ['unknown kind', { ...rig.request('push'), kind: 'frobnicate' as OperationKind }, 'InvalidInput', 'unknown operation kind "frobnicate"'],
      ['run id not a UUID', { ...rig.request('push'), runId: 'run-1' }, 'InvalidInput', 'a request needs the run id to use (a UUID)'],
    ];
    for (const [label, request, type, message] of cases) {
      const failure = await rejection(rig.coordinators.request(rig.definitionId, request));
      expect([label, failure.type, failure.message]).toEqual([label, type, message]);
    }
    // No request id: sent under an update id of its own (the client uses the request id as update id).
    const failure = await rejection(
      rig.coordinator.executeUpdate(requestOperationUpdate, { args: [{ ...rig.request('push'), requestId: '' }], updateId: randomUUID() }),
    );
    expect([failure.type, failure.message]).toEqual(['InvalidInput', 'a request needs a request id']);

    expect(rig.callsOf('createOperationRun')).toEqual([]);
    expect(await rig.view()).toEqual([]);
    // A valid request after all that is served.
    expect((await rig.ask(rig.request('push'))).state).toBe('started');
  } finally {
    await rig.stop();
  }
});

test('cancelQueued drops a queued run: finished as cancelled, never started, and an equal request does not join it', async () => {
  const rig = await coordinatorRig();
  try {
    const a = rig.request('push');
    const b = rig.request('push');
    await rig.ask(a);
    expect((await rig.ask(b)).state).toBe('queued');
    await rig.waitEvent(`begin push ${a.runId}`);

    await rig.coordinator.signal(cancelQueuedSignal, { runId: b.runId });
    await rig.waitEvent(`finishOperation ${b.runId} cancelled`);
    expect(rig.callsOf('finishOperation')).toEqual([{ runId: b.runId, status: 'cancelled', error: 'cancelled before it started' }]);
    expect(await rig.states()).toEqual([[a.runId, 'running']]);
    // The signal leaves running runs and unknown ids alone.
    await rig.coordinator.signal(cancelQueuedSignal, { runId: a.runId });
    await rig.coordinator.signal(cancelQueuedSignal, { runId: randomUUID() });

    const c = rig.request('push');
    const tc = await rig.ask(c);
    expect(tc).toMatchObject({ runId: c.runId, state: 'queued' });
    expect(await rig.states()).toEqual([
      [a.runId, 'running'],
      [c.runId, 'queued'],
    ]);
    expect(rig.callsOf('finishOperation')).toHaveLength(1);

    rig.release(a.runId);
    await rig.waitEvent(`begin push ${c.runId}`);
    rig.release(c.runId);
    await rig.waitEvent(`end push ${c.runId}`);
    expect(rig.began(b.runId)).toBe(false);
    await expect(env.client.workflow.getHandle(operationWorkflowId('push', rig.definitionId, b.runId)).describe()).rejects.toThrow(/not found/i);
  } finally {
    await rig.stop();
  }
});

test('a failed or cancelled running operation frees the definition for the next one', async () => {
  let failing = '';
  const rig = await coordinatorRig({
    mocks: ({ gates }) => ({
      pushBatch: async (input) => {
        await awaitGateInActivity(gates.get(`run ${input.runRowId}`));
        if (input.runRowId === failing) throw ApplicationFailure.nonRetryable('the list is gone', 'NotFound');
        return { counts: {}, nextAfterKey: null, done: true };
      },
    }),
  });
  try {
    const a = rig.request('push');
    const b = rig.request('push', { fullResync: true });
    const c = rig.request('provision');
    failing = a.runId;
    await rig.ask(a);
    expect((await rig.ask(b)).state).toBe('queued');
    expect((await rig.ask(c)).state).toBe('queued');
    await rig.waitEvent(`begin push ${a.runId}`);

    rig.release(a.runId);
    await rig.waitEvent(`begin push ${b.runId}`);
    expect(rig.at(`end push ${a.runId} failed`)).toBeLessThan(rig.at(`begin push ${b.runId}`));
    await expect(env.client.workflow.getHandle(operationWorkflowId('push', rig.definitionId, a.runId)).result()).rejects.toThrow();

    // Cancelled the way the API cancels a running run: the operation's own workflow.
    await waitFor(() => rig.callsOf('pushBatch').some((x) => x.runRowId === b.runId), 'the second push did not reach its batch');
    await env.client.workflow.getHandle(operationWorkflowId('push', rig.definitionId, b.runId)).cancel();
    await rig.waitEvent(`begin provision ${c.runId}`);
    expect(rig.at(`end push ${b.runId} cancelled`)).toBeLessThan(rig.at(`begin provision ${c.runId}`));
    expect((await rig.coordinator.describe()).status.name).toBe('RUNNING');
    expect(await rig.states()).toEqual([[c.runId, 'running']]);
  } finally {
    await rig.stop();
  }
});

describe("a coordinator started afresh adopts the definition's unfinished runs", () => {
  test('running ones are watched until they close, queued ones are started, new writers queue behind them', async () => {
    const running = randomUUID();
    const queued = randomUUID();
    const adopted = (definitionId: string): ActiveOperation[] => [
      { runId: running, kind: 'push', workflowId: operationWorkflowId('push', definitionId, running), status: 'running', options: {} },
      { runId: queued, kind: 'provision', workflowId: operationWorkflowId('provision', definitionId, queued), status: 'queued', options: {} },
    ];
    const rig = await coordinatorRig({ active: adopted });
    const active = adopted(rig.definitionId);
    try {
      const n = rig.request('push');
      const tn = await rig.ask(n);
      expect(tn.state).toBe('queued');
      // It waits for the nearest writer ahead of it: the adopted queued provision.
      expect(tn.reason).toContain(`provision run ${queued}`);
      expect(rig.callsOf('activeOperations')).toEqual([{ definitionId: rig.definitionId }]);

      await rig.waitEvent(`watch ${running}`);
      expect(rig.callsOf('awaitOperationClosed')).toEqual([{ runId: running, workflowId: active[0]!.workflowId }]);
      expect(await rig.view()).toEqual([
        { runId: running, kind: 'push', workflowId: active[0]!.workflowId, state: 'watching', requestedBy: 'coordinator' },
        { runId: queued, kind: 'provision', workflowId: active[1]!.workflowId, state: 'queued', requestedBy: 'coordinator' },
        { runId: n.runId, kind: 'push', workflowId: tn.workflowId, state: 'queued', requestedBy: 'key-test' },
      ]);
      // Adopted runs already have their rows.
      expect(rig.callsOf('createOperationRun').map((x) => x.runId)).toEqual([n.runId]);
      await sleep(300);
      expect(rig.began(queued) || rig.began(n.runId)).toBe(false);

      // The predecessor's run closes: the adopted queued run starts, as this coordinator's child.
      rig.gates.open(`closed ${running}`);
      await rig.waitEvent(`begin provision ${queued}`);
      expect((await env.client.workflow.getHandle(active[1]!.workflowId).describe()).parentExecution?.workflowId).toBe(definitionWorkflowId(rig.definitionId));
      await sleep(200);
      expect(rig.began(n.runId)).toBe(false);

      rig.release(queued);
      await rig.waitEvent(`begin push ${n.runId}`);
      expect(rig.at(`finishOperation ${queued} succeeded`)).toBeLessThan(rig.at(`begin push ${n.runId}`));
    } finally {
      await rig.stop();
    }
  });

  test('an adopted queued run whose workflow already runs is watched, not started twice', async () => {
    const runId = randomUUID();
    const rig = await coordinatorRig({
      mocks: ({ events }) => ({
        // Watches the real workflow, as the activity does.
        awaitOperationClosed: async (input) => {
          events.push(`watch ${input.runId}`);
          await env.client.workflow
            .getHandle(input.workflowId)
            .result()
            .catch(() => {});
          events.push(`closed ${input.runId}`);
        },
      }),
      // The predecessor started the run just before it was terminated: its row still says queued.
      active: (definitionId) => [{ runId, kind: 'push', workflowId: operationWorkflowId('push', definitionId, runId), status: 'queued', options: {} }],
    });
    const workflowId = operationWorkflowId('push', rig.definitionId, runId);
    try {
      await env.client.workflow.start(pushSyncWorkflow, {
        taskQueue: rig.taskQueue,
        workflowId,
        args: [{ definitionId: rig.definitionId, runId, context: { requestId: 'r', requestedBy: 'key-old' }, trigger: 'api' }],
      });
      await rig.waitEvent(`begin push ${runId}`);

      const n = rig.request('push', { fullResync: true });
      expect((await rig.ask(n)).state).toBe('queued');
      await rig.waitEvent(`watch ${runId}`);
      expect(await rig.states()).toEqual([
        [runId, 'watching'],
        [n.runId, 'queued'],
      ]);
      rig.release(runId);
      await rig.waitEvent(`begin push ${n.runId}`);
      expect(rig.at(`closed ${runId}`)).toBeLessThan(rig.at(`begin push ${n.runId}`));
      // Begun once: by the workflow the predecessor started.
      expect(rig.events.filter((e) => e === `begin push ${runId}`)).toHaveLength(1);
    } finally {
      await rig.stop();
    }
  });
});

describe('continue-as-new', () => {
  let smallEnv: TestWorkflowEnvironment;
  beforeAll(async () => {
    smallEnv = await startDevServer({ suggestContinueAsNewAfter: 20 });
  }, 60_000);
  afterAll(async () => {
    await smallEnv?.teardown();
  });

  test('an idle coordinator continues as new when Temporal suggests it, carrying its answers: a repeated request gets the same ticket', async () => {
    const rig = await coordinatorRig({ testEnv: smallEnv });
    try {
      const a = rig.request('provision');
      const ta = await rig.ask(a);
      const first = (await rig.coordinator.describe()).runId;
      rig.release(a.runId);
      await rig.waitEvent(`finishOperation ${a.runId} succeeded`);
      const before = smallEnv.client.workflow.getHandle(rig.coordinator.workflowId, first);
      await waitFor(async () => (await before.describe()).status.name === 'CONTINUED_AS_NEW', 'the idle coordinator did not continue as new');

      const history = await smallEnv.client.workflow.getHandle(rig.coordinator.workflowId).fetchHistory();
      const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      const input = defaultPayloadConverter.fromPayload<DefinitionWorkflowInput>(payload!);
      expect(input).toEqual({ definitionId: rig.definitionId, carry: { answered: [[a.requestId, ta]] } });

      // The same request id, under another update id and run id: answered from the carry.
      const again = await rig.coordinator.executeUpdate(requestOperationUpdate, { args: [{ ...a, runId: randomUUID() }], updateId: randomUUID() });
      expect(again).toEqual(ta);
      expect(rig.callsOf('createOperationRun')).toHaveLength(1);
      // The new run did not adopt again (it knows nothing is running), and serves new requests.
      expect(rig.callsOf('activeOperations')).toHaveLength(1);
      const b = rig.request('push');
      expect((await rig.ask(b)).state).toBe('started');
      await rig.waitEvent(`begin push ${b.runId}`);
    } finally {
      await rig.stop();
    }
  });
});

test("a request that joins a queued run is answered only once that run's row exists (design: the row exists before the answer)", async () => {
  let holdCreate = '';
  const rig = await coordinatorRig({
    mocks: ({ gates, events }) => ({
      createOperationRun: async (input) => {
        if (input.runId === holdCreate) await gates.get('create').promise;
        events.push(`created ${input.runId}`);
      },
    }),
  });
  try {
    const a = rig.request('push');
    const b = rig.request('push');
    holdCreate = a.runId;
    // Two "run push now" at once on an idle definition: the first is still being recorded.
    const askA = rig.ask(a);
    await waitFor(() => rig.callsOf('createOperationRun').length === 1, 'the first request was not being recorded');
    let recordedWhenAnswered: boolean | undefined;
    const askB = rig.ask(b).then((t) => {
      recordedWhenAnswered = rig.events.includes(`created ${t.runId}`);
      return t;
    });
    // Give B its chance to be answered while A's row is still being written.
    await Promise.race([askB, sleep(1_000)]);
    rig.gates.open('create');
    const [ta, tb] = await Promise.all([askA, askB]);
    expect(ta.state).toBe('started');
    expect(
      recordedWhenAnswered,
      `the second request was answered ${JSON.stringify(tb)} before run ${tb.runId}'s row existed ` +
        '(workflows/src/definition/workflow.ts requestOperation handler: a request joins an op that is "queued" but not yet recorded; ' +
        'if that createOperationRun then fails, the joined caller holds a run id that never exists)',
    ).toBe(true);
  } finally {
    await rig.stop();
  }
});
