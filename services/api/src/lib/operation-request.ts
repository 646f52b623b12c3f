import { randomUUID } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import { and, eq, isNull } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { OPERATION_KINDS, OPERATIONS, type OperationKind } from '@syncbridge/shared/domain';
import { temporalUiLink } from '@syncbridge/shared/temporal';
import { definitionWorkflowId } from '@syncbridge/shared/temporal/ids';
import type { ApiDeps } from './context.ts';
import { askCoordinator } from './operations.ts';
import { ApiError, ErrorCode } from './problem.ts';

/*
 * How a route asks for an operation (POST /v1/sync-definitions/{id}/operations/{kind}, the
 * provision and run shortcuts, resolving a conflict): the checks the kind needs, then the
 * definition's coordinator, answered as an OperationTicket.
 */

export const OperationTicketSchema = z
  .object({
    runId: z.string().uuid().openapi({ description: 'The run: GET /v1/sync-runs/{runId} shows its progress, POST .../cancel stops it' }),
    kind: z.enum(OPERATION_KINDS),
    workflowId: z.string().openapi({ description: "The operation's workflow (a child of the definition's coordinator)" }),
    state: z.enum(['started', 'queued', 'joined']).openapi({
      description:
        'started: runs now; queued: waits for another writer of the definition to end; joined: the same operation was already queued or running, and this is that run',
    }),
    reason: z.string().nullable(),
    temporalUiUrl: z.string().url(),
    coordinatorUiUrl: z.string().url().openapi({ description: "The definition's coordinator in the Temporal Web UI: its operations, running and queued" }),
    alreadyStarted: z.boolean().openapi({ description: 'Deprecated: state is joined' }),
  })
  .openapi('OperationTicket');

export type OperationTicketView = z.infer<typeof OperationTicketSchema>;

/** What a route hands over of its request: the request id (the coordinator's idempotency key) and the caller. */
export interface RequestingContext {
  get(k: 'requestId'): string;
  get(k: 'principal'): { keyId: string };
}

type DefinitionRow = typeof schema.syncDefinitions.$inferSelect;

export function operationRequests(deps: ApiDeps) {
  const { db } = deps.store;
  const ui = (workflowId: string) => temporalUiLink(deps.temporal.uiUrl, deps.temporal.namespace, workflowId);

  /** 409 unless every target of the definition has its list (push, ingress and the drift check need them). */
  const assertProvisioned = async (id: string) => {
    const unprovisioned = await db
      .select({ id: schema.syncTargets.id })
      .from(schema.syncTargets)
      .where(and(eq(schema.syncTargets.definitionId, id), isNull(schema.syncTargets.listId)));
    const anyTarget = await db.select({ id: schema.syncTargets.id }).from(schema.syncTargets).where(eq(schema.syncTargets.definitionId, id)).limit(1);
    if (anyTarget.length === 0 || unprovisioned.length > 0) {
      throw new ApiError(
        409,
        ErrorCode.Conflict,
        `the definition has ${anyTarget.length === 0 ? 'no targets' : 'unprovisioned targets'}; add targets and POST /v1/sync-definitions/${id}/provision first`,
      );
    }
  };

  /** The checks POST .../operations/{kind} makes before asking: the kind exists in this version, lists are provisioned, ingress fits the direction. */
  const assertOperationAllowed = async (def: DefinitionRow, kind: OperationKind) => {
    if (!OPERATIONS[kind].available)
      throw new ApiError(422, ErrorCode.ValidationFailed, `the ${kind} operation is not available in this version`, [
        { field: 'path.kind', message: 'not available yet' },
      ]);
    // Every operation but provisioning works on the lists.
    if (kind !== 'provision' && kind !== 'rebind') await assertProvisioned(def.id);
    if (kind === 'ingress' && def.direction === 'push') {
      const message = "the definition's direction is push: ingress never writes to its table; set direction to ingress or both first";
      throw new ApiError(409, ErrorCode.Conflict, message, [{ field: 'direction', message }]);
    }
  };

  /** Asks the definition's coordinator for the operation: started, queued, or joined to the same one. */
  const ask = async (c: RequestingContext, definitionId: string, kind: OperationKind, options: Record<string, unknown>): Promise<OperationTicketView> => {
    const ticket = await askCoordinator(deps, definitionId, {
      kind,
      requestId: c.get('requestId'),
      runId: randomUUID(),
      requestedBy: c.get('principal').keyId,
      trigger: 'api',
      options,
    });
    return {
      ...ticket,
      reason: ticket.reason ?? null,
      temporalUiUrl: ui(ticket.workflowId),
      coordinatorUiUrl: ui(definitionWorkflowId(definitionId)),
      alreadyStarted: ticket.state === 'joined',
    };
  };

  return { ask, assertProvisioned, assertOperationAllowed, ui };
}

/** Options each operation kind takes through POST .../operations/{kind}: any other is a 400 naming it. */
const NO_OPTIONS = z.object({}).strict();
const OPERATION_OPTIONS: Record<OperationKind, z.ZodType<Record<string, unknown>>> = {
  provision: NO_OPTIONS,
  ingress: NO_OPTIONS,
  drift_check: NO_OPTIONS,
  ledger_rebuild: z.object({ dryRun: z.boolean().optional() }).strict(),
  rebind: z
    .object({
      toInstanceId: z.string().uuid(),
      cursor: z.enum(['keep', 'full']).optional(),
      rewindSeconds: z
        .number()
        .int()
        .min(0)
        .max(30 * 86_400)
        .optional(),
      promote: z.boolean().optional(),
      dryRun: z.boolean().optional(),
      approve: z.boolean().optional(),
    })
    .strict(),
  push: z.object({ fullResync: z.boolean().optional(), targetId: z.string().uuid().optional() }).strict(),
  reshard: z.object({ dryRun: z.boolean().optional(), approve: z.boolean().optional() }).strict(),
  drift_repair: z.object({ reportId: z.string().uuid().optional(), dryRun: z.boolean().optional() }).strict(),
};

/** The options checked for the kind: a 400 naming the field for an unknown or mistyped one. */
export function operationOptions(kind: OperationKind, options: Record<string, unknown>): Record<string, unknown> {
  const parsed = OPERATION_OPTIONS[kind].safeParse(options);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.map((i) => ({
    field: ['body', 'options', ...i.path.map(String), ...('keys' in i && Array.isArray(i.keys) ? [String(i.keys[0])] : [])].join('.'),
    message: i.message,
  }));
  throw new ApiError(400, ErrorCode.ValidationFailed, `invalid options for ${kind}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors);
}
