import { z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import { assertDefinitionIdle } from '@syncbridge/shared/domain';
import type { App, ApiDeps } from '../lib/context.ts';
import { assertConnectionInApp } from '../lib/app-scope.ts';
import { registerCrud } from '../lib/crud.ts';
import { amendRouteDocs } from '../lib/openapi-amend.ts';
import type { FieldError } from '../lib/problem.ts';
import { graphId, plainText, timestamps, uuidRef } from './common.ts';
import { RoutingRuleSchema } from './routing-rule.ts';

type TargetRow = typeof schema.syncTargets.$inferSelect;

const fields = {
  connectionId: uuidRef('SharePoint connection used to reach the list'),
  siteId: graphId(z.string().min(1).max(512)).openapi({ description: 'Graph site id (hostname,siteCollectionId,webId)' }),
  listId: graphId(z.string().min(1).max(128)).nullable().openapi({ description: 'Graph list id; null until provisioned' }),
  listDisplayName: plainText(z.string().trim().min(1).max(255)),
  routingRule: RoutingRuleSchema.nullable().openapi({ type: 'object', description: 'JSON predicate over source columns; null for the default target' }),
  priority: z.number().int().min(0).max(10_000).openapi({ description: 'Rules are evaluated by ascending priority' }),
  isDefault: z.boolean().openapi({ description: 'Receives rows no rule matches; one per definition' }),
};

export const TargetSchema = z.object({ id: z.string().uuid(), definitionId: z.string().uuid(), ...fields, ...timestamps }).openapi('SyncTarget');
const CreateTarget = z
  .object({
    ...fields,
    listId: fields.listId.optional(),
    routingRule: fields.routingRule.optional(),
    priority: fields.priority.optional(),
    isDefault: fields.isDefault.optional(),
  })
  .strict()
  .openapi('CreateSyncTarget');
const UpdateTarget = z.object(fields).partial().strict().openapi('UpdateSyncTarget');

const CONNECTION_RULE =
  "The SharePoint connection must belong to the definition's app: another app's connection is a 422 naming `body.connectionId` and both apps (cross-app use is refused; there is no grant).";

function targetRules(t: { isDefault?: boolean | null; routingRule?: unknown }): FieldError[] {
  return t.isDefault && t.routingRule ? [{ field: 'body.routingRule', message: 'the default target takes rows no rule matches; it has no rule' }] : [];
}

export function registerSyncTargets(app: App, deps: ApiDeps) {
  registerCrud<TargetRow, z.infer<typeof CreateTarget>, z.infer<typeof UpdateTarget>>(app, deps, {
    basePath: '/v1/sync-definitions/{definitionId}/targets',
    tag: 'Sync targets',
    singular: 'SyncTarget',
    table: schema.syncTargets,
    parent: { param: 'definitionId', column: schema.syncTargets.definitionId, table: schema.syncDefinitions, singular: 'SyncDefinition' },
    response: TargetSchema,
    create: CreateTarget.superRefine((t, ctx) => {
      for (const e of targetRules(t)) ctx.addIssue({ code: 'custom', path: ['routingRule'], message: e.message });
    }),
    update: UpdateTarget,
    writeRole: 'operator',
    toResponse: (r) => ({
      id: r.id,
      definitionId: r.definitionId,
      connectionId: r.connectionId,
      siteId: r.siteId,
      listId: r.listId,
      listDisplayName: r.listDisplayName,
      routingRule: r.routingRule ?? null,
      priority: r.priority,
      isDefault: r.isDefault,
      createdAt: r.createdAt.toISOString(),
      updatedAt: r.updatedAt.toISOString(),
    }),
    toInsert: async (b, _deps, definitionId) => {
      await assertConnectionInApp(deps, b.connectionId, definitionId!);
      return { ...b };
    },
    toPatch: async (b, _deps, existing) => {
      // Only a change is checked, so a target's other fields stay editable whatever its connection.
      if (b.connectionId !== undefined && b.connectionId !== existing.connectionId) await assertConnectionInApp(deps, b.connectionId, existing.definitionId);
      return { ...b };
    },
    validateMerged: targetRules,
    // A run routes and writes to the targets it began with: no change while a writer is active.
    guardWrite: (tx, w) => assertDefinitionIdle(tx, w.existing?.definitionId ?? w.parentId!, 'the targets'),
  });
  amendRouteDocs(app, 'post', '/v1/sync-definitions/{definitionId}/targets', { description: CONNECTION_RULE });
  amendRouteDocs(app, 'patch', '/v1/sync-definitions/{definitionId}/targets/{id}', { description: CONNECTION_RULE });
}
