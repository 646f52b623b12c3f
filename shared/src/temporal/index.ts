/** Run context every workflow input carries, so logs of one API request can be followed into activities. */
export interface RunContext {
  requestId: string;
  /** API key id that asked for the run, or "schedule". */
  requestedBy: string;
}

/** Link to a workflow in the Temporal Web UI. */
export function temporalUiLink(uiUrl: string, namespace: string, workflowId: string, runId?: string): string {
  const base = `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/history` : base;
}
