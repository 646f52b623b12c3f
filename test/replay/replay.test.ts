import { historyFromJSON } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import * as workflows from '@syncbridge/workflows';
import { describe, expect, it } from 'vitest';
import { workflowBundle } from '../harness/stack.ts';
import { recordedHistories } from './histories.ts';

/*
 * Workflow changes must never break running workflows: every history recorded from an earlier
 * version of the code (test/replay/histories, written by test/replay/record) replays against
 * the workflow code of this commit. A change that fails here needs `patched()`.
 */
describe('recorded workflow histories replay against the current code', () => {
  const histories = recordedHistories();

  it('has a recorded history of every workflow the worker runs', () => {
    const types = new Set(histories.map((h) => historyFromJSON(h.json).events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
    const registered = Object.entries(workflows)
      .filter(([name, value]) => typeof value === 'function' && name.endsWith('Workflow'))
      .map(([name]) => name);
    expect(registered.length).toBeGreaterThan(0);
    for (const name of registered) expect(types, `no recorded history of ${name}: run test/replay/record`).toContain(name);
  });

  it.each(histories.map((h) => [h.file, h] as const))('%s', async (file, h) => {
    await Worker.runReplayHistory({ workflowBundle: await workflowBundle(), replayName: file }, historyFromJSON(h.json), file);
  });
});
