import { WorkflowExecutionAlreadyStartedError, type WorkflowHandle, type WorkflowStartOptions } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import { temporalUiLink, type RunContext } from '@syncbridge/shared/temporal';
import type { TemporalDeps } from './context.ts';

export interface StartedWorkflow<W extends Workflow> {
  handle: WorkflowHandle<W>;
  workflowId: string;
  runId: string | undefined;
  alreadyStarted: boolean;
  uiUrl: string;
}

/**
 * The one way the API starts workflows: deterministic ids make a retried request
 * land on the run it already started, and the request id rides along in the memo
 * and the input so the run's logs can be traced back to the API call.
 */
export async function startWorkflowOnce<W extends Workflow>(
  temporal: TemporalDeps,
  workflow: W,
  opts: { workflowId: string; args: Parameters<W>; context: RunContext },
): Promise<StartedWorkflow<W>> {
  const { client, taskQueue, namespace, uiUrl } = temporal;
  try {
    const options = {
      taskQueue,
      workflowId: opts.workflowId,
      args: opts.args,
      memo: { requestId: opts.context.requestId, requestedBy: opts.context.requestedBy },
    } as unknown as WorkflowStartOptions<W>;
    const handle = await client.workflow.start(workflow, options);
    return {
      handle,
      workflowId: handle.workflowId,
      runId: handle.firstExecutionRunId,
      alreadyStarted: false,
      uiUrl: temporalUiLink(uiUrl, namespace, handle.workflowId, handle.firstExecutionRunId),
    };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const handle = client.workflow.getHandle<W>(opts.workflowId);
    return { handle, workflowId: opts.workflowId, runId: undefined, alreadyStarted: true, uiUrl: temporalUiLink(uiUrl, namespace, opts.workflowId) };
  }
}
