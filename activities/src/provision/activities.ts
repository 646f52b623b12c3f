import { ApplicationFailure } from '@temporalio/activity';
import { and, asc, desc, eq } from 'drizzle-orm';
import { FailureType } from '@syncbridge/shared/errors';
import { schema } from '@syncbridge/shared/db';
import {
  columnDefinitionsFor,
  KEY_COLUMN_NAME,
  keyColumnDefinition,
  lookupDefinitionOf,
  proposeMappings,
  validateMappings,
  type FieldMappingSpec,
} from '@syncbridge/shared/mapping';
import { allMappings, checkDefinitionSource } from '@syncbridge/shared/domain';
import { recordSnapshot, scopeOf } from '@syncbridge/shared/schema-snapshots';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { gatewayFor, invalid, loadDefinitionContext, notFound } from '../sync/definition.ts';
import { introspectSourceTable } from '../sync/table.ts';
import type { RunActivities } from '../sync/runs.ts';

export interface ProvisionedTarget {
  targetId: string;
  listId: string;
  created: boolean;
  columnsAdded: string[];
}

const problems = (list: Array<{ field: string; message: string }>) => list.map((p) => `${p.field}: ${p.message}`).join('; ');

export function createProvisionActivities(deps: ActivityDeps) {
  return {
    /**
     * Validates the definition against the live source schema, records a schema
     * snapshot, and persists the default mapping when the definition has none.
     */
    async ensureFieldMappings(input: { definitionId: string; runId?: string; context: RunContext }): Promise<{ mappingsCreated: number; targetIds: string[] }> {
      const log = activityLog(deps, input.context);
      const ctx = await loadDefinitionContext(deps, input.definitionId, input.runId);
      if (ctx.targets.length === 0) throw invalid('the definition has no targets; add one with POST /v1/sync-definitions/{id}/targets');
      const d = ctx.definition;
      const { snapshot } = await introspectSourceTable(deps, ctx, { fresh: true });
      const checked = checkDefinitionSource(snapshot, d, `instance ${ctx.instanceId}`);
      if (checked.issues.length || !checked.table)
        throw ApplicationFailure.nonRetryable(
          `the definition does not fit ${d.sourceSchema}.${d.sourceTable}: ${problems(checked.issues)}`,
          FailureType.SchemaMismatch,
        );
      const table = checked.table;

      const { db } = deps.store;
      // Same scope as the schema endpoint's table view, so both build one history.
      const snap = await recordSnapshot(db, ctx.instanceId, scopeOf({ schema: table.schema, table: table.name }), { ...snapshot, tables: [table] });
      await db.update(schema.syncDefinitions).set({ sourceSnapshotId: snap.id }).where(eq(schema.syncDefinitions.id, d.id));

      let mappingsCreated = 0;
      if (allMappings(ctx).length === 0) {
        // Columns that look like secrets are not synced unless the user maps them (see TYPE-MAPPING.md).
        const proposal = proposeMappings(table, { keyColumns: d.keyColumns });
        const proposed = proposal.items.map((i) => i.mapping);
        const skipped = proposal.sensitive.filter((c) => !c.proposed);
        if (skipped.length)
          log.warn({ definitionId: d.id, columns: skipped.map((c) => c.sourceColumn) }, 'sensitive-looking columns left out of the default mapping');
        const mappingProblems = validateMappings(table, proposed);
        if (mappingProblems.length) throw invalid(`the default mapping is not valid: ${problems(mappingProblems)}`);
        const inserted = await db
          .insert(schema.fieldMappings)
          .values(proposed.map((m) => ({ ...m, definitionId: d.id })))
          .onConflictDoNothing()
          .returning({ id: schema.fieldMappings.id });
        mappingsCreated = inserted.length;
      } else {
        const mappingProblems = validateMappings(table, allMappings(ctx));
        if (mappingProblems.length)
          throw ApplicationFailure.nonRetryable(`field mappings do not fit the source: ${problems(mappingProblems)}`, FailureType.SchemaMismatch);
      }
      log.info({ definitionId: d.id, mappingsCreated }, 'field mappings ensured');
      return { mappingsCreated, targetIds: ctx.targets.map((t) => t.id) };
    },

    /** Creates the target list, or adopts an existing one of that name and adds missing columns. */
    async provisionTarget(input: { definitionId: string; targetId: string; runId?: string; context: RunContext }): Promise<ProvisionedTarget> {
      const log = activityLog(deps, input.context);
      const ctx = await loadDefinitionContext(deps, input.definitionId, input.runId);
      const target = ctx.targets.find((t) => t.id === input.targetId);
      if (!target) throw notFound(`target ${input.targetId} of definition ${input.definitionId}`);
      const { table } = await introspectSourceTable(deps, ctx);
      // Ingress-only columns too: the list holds them, the table takes them back.
      const mappings = await withLookupLists(deps, allMappings(ctx), target.siteId);
      const wanted = [...columnDefinitionsFor(mappings, table), keyColumnDefinition()];
      const graph = gatewayFor(deps, target.connection);

      let list = await graph.getList(target.siteId, target.listId ?? target.listDisplayName);
      let created = false;
      const columnsAdded: string[] = [];
      if (!list) {
        list = await graph.createList(target.siteId, {
          displayName: target.listDisplayName,
          columns: wanted as never,
          description: `Synced by SyncBridge from ${table.schema}.${table.name}`,
        });
        created = true;
      } else {
        const existing = new Set((await graph.listColumns(target.siteId, list.id!)).map((c) => c.name));
        for (const column of wanted) {
          const name = String(column.name);
          if (existing.has(name)) continue;
          await graph.createColumn(target.siteId, list.id!, column as never);
          columnsAdded.push(name);
        }
      }
      await deps.store.db
        .update(schema.syncTargets)
        .set({ listId: list.id!, provisionedAt: new Date() })
        .where(and(eq(schema.syncTargets.id, target.id), eq(schema.syncTargets.definitionId, input.definitionId)));
      log.info({ targetId: target.id, listId: list.id, created, columnsAdded, keyColumn: KEY_COLUMN_NAME }, created ? 'list created' : 'list adopted');
      return { targetId: target.id, listId: list.id!, created, columnsAdded };
    },
  };
}

/**
 * Lookup mappings of a synced row name the looked-up definition, not its list: the list comes from that definition's
 * (default) target, which must be provisioned and on the same site (SharePoint looks up lists of its own site only).
 */
async function withLookupLists(deps: ActivityDeps, mappings: FieldMappingSpec[], siteId: string): Promise<FieldMappingSpec[]> {
  const out: FieldMappingSpec[] = [];
  for (const m of mappings) {
    const definitionId = lookupDefinitionOf(m);
    if (m.targetType !== 'lookup' || typeof m.converterOptions.lookupListId === 'string' || !definitionId) {
      if (m.targetType === 'lookup' && typeof m.converterOptions.lookupListId !== 'string')
        throw invalid(`the lookup column ${m.targetColumn} names no list: set converterOptions.lookupListId or lookupDefinitionId`);
      out.push(m);
      continue;
    }
    const T = schema.syncTargets;
    const [looked] = await deps.store.db.select().from(T).where(eq(T.definitionId, definitionId)).orderBy(desc(T.isDefault), asc(T.priority)).limit(1);
    if (!looked?.listId)
      throw invalid(`the lookup column ${m.targetColumn} looks up definition ${definitionId}, whose list is not provisioned yet: provision it first`);
    if (looked.siteId !== siteId)
      throw invalid(`the lookup column ${m.targetColumn} looks up a list of another site; SharePoint looks up lists of the same site only`);
    out.push({ ...m, converterOptions: { ...m.converterOptions, lookupListId: looked.listId } });
  }
  return out;
}

export type ProvisionActivities = ReturnType<typeof createProvisionActivities> & RunActivities;
