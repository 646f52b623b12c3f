import type { OperationKind } from '../domain/operations.ts';

/*
 * Every workflow and schedule id SyncBridge uses, built in one place. Ids are deterministic,
 * so a retried request lands on what it already started, and readable in the Temporal Web UI.
 */

/** The coordinator of one definition: the only starter of its operations. */
export const definitionWorkflowId = (definitionId: string) => `definition/${definitionId}`;

/** One operation run (a child of the coordinator): `push/{definitionId}/{runId}`. */
export const operationWorkflowId = (kind: OperationKind, definitionId: string, runId: string) => `${kind}/${definitionId}/${runId}`;

/** The Temporal Schedule of one operation kind of a definition. */
export const operationScheduleId = (definitionId: string, kind: OperationKind) => `schedule/${definitionId}/${kind}`;

/** Prefix of every operation schedule id, to find ours among a namespace's schedules. */
export const OPERATION_SCHEDULE_PREFIX = 'schedule/';

/** Workflows a schedule starts (Temporal appends the fire time): they ask the coordinator for the operation. */
export const scheduledTriggerWorkflowId = (definitionId: string, kind: OperationKind) => `scheduled/${definitionId}/${kind}`;

/** Schedules of versions before the operation model, removed when the API reconciles. */
export const legacyPushScheduleId = (definitionId: string) => `push-schedule/${definitionId}`;

/** The watcher of a logical-replication definition's slot (one per definition; it asks for push runs). */
export const changeCaptureWorkflowId = (definitionId: string) => `change-capture/${definitionId}`;

export const healthCheckWorkflowId = (requestId: string) => `health-check/${requestId}`;

/** The parts of an operation workflow id, or null for any other id. */
export function parseOperationWorkflowId(workflowId: string): { kind: string; definitionId: string; runId: string } | null {
  const m = /^([a-z_]+)\/([0-9a-f-]{36})\/([0-9a-f-]{36})$/.exec(workflowId);
  return m ? { kind: m[1]!, definitionId: m[2]!, runId: m[3]! } : null;
}
