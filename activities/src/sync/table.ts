import { ApplicationFailure } from '@temporalio/activity';
import { FailureType } from '@syncbridge/shared/errors';
import { EgressDeniedError, type EgressPolicy } from '@syncbridge/shared/net';
import { introspectOnce, sourceConnectorFor, UnsupportedEngineError, type IntrospectedTable, type SchemaSnapshot } from '@syncbridge/shared/sources';
import type { ActivityDeps } from '../deps.ts';
import type { DefinitionContext } from './definition.ts';

const TTL_MS = 30_000;

/** Introspections of source tables, kept briefly per worker (owned by the activity dependencies). */
export class SchemaCache {
  private readonly entries = new Map<string, { at: number; snapshot: SchemaSnapshot }>();

  constructor(private readonly egress?: EgressPolicy) {}

  async snapshot(ctx: DefinitionContext, fresh: boolean): Promise<SchemaSnapshot> {
    const { sourceSchema, sourceTable } = ctx.definition;
    const key = `${ctx.instanceId}|${ctx.instanceVersion}|${sourceSchema}|${sourceTable}`;
    let entry = this.entries.get(key);
    if (!entry || fresh || Date.now() - entry.at > TTL_MS) {
      // A one-shot session: three connection attempts, a deadline (DEFAULT_INTROSPECTION_DEADLINE_MS) and the egress policy.
      let snapshot: SchemaSnapshot;
      try {
        snapshot = await introspectOnce(
          sourceConnectorFor(ctx.source.engine),
          ctx.source,
          { schema: sourceSchema, table: sourceTable },
          { egress: this.egress },
        );
      } catch (err) {
        // Every operation introspects first: a host the policy refuses, or an engine without a connector, fails it here, once, instead of after every retry.
        if (err instanceof EgressDeniedError || err instanceof UnsupportedEngineError)
          throw ApplicationFailure.nonRetryable(`source instance ${ctx.instanceId}: ${err.message}`, FailureType.InvalidInput);
        throw err;
      }
      entry = { at: Date.now(), snapshot };
      this.entries.set(key, entry);
    }
    return entry.snapshot;
  }

  clear(): void {
    this.entries.clear();
  }
}

/**
 * The definition's source table as the database describes it now (cached briefly per worker;
 * `fresh` skips the cache, e.g. before reporting a column missing that may have just come back).
 */
export async function introspectSourceTable(
  deps: ActivityDeps,
  ctx: DefinitionContext,
  opts: { fresh?: boolean } = {},
): Promise<{ table: IntrospectedTable; snapshot: SchemaSnapshot }> {
  const { sourceSchema, sourceTable } = ctx.definition;
  const snapshot = await deps.schemas.snapshot(ctx, opts.fresh === true);
  const table = snapshot.tables.find((t) => t.schema === sourceSchema && t.name === sourceTable);
  if (!table) {
    throw ApplicationFailure.nonRetryable(
      `source table ${sourceSchema}.${sourceTable} does not exist on the instance (or the user cannot see it)`,
      FailureType.SchemaMismatch,
    );
  }
  return { table, snapshot };
}

/** The source table and the columns the definition reads from it; a cached description missing a column is refreshed first. */
export async function sourceTableAndColumns(deps: ActivityDeps, ctx: DefinitionContext): Promise<{ table: IntrospectedTable; columns: string[] }> {
  let { table } = await introspectSourceTable(deps, ctx);
  if ([...wantedColumns(ctx)].some((c) => !table.columns.some((col) => col.name === c))) ({ table } = await introspectSourceTable(deps, ctx, { fresh: true }));
  return { table, columns: columnsToRead(ctx, table) };
}

function wantedColumns(ctx: DefinitionContext): Set<string> {
  const wanted = new Set<string>([...ctx.definition.keyColumns, ...ctx.mappings.map((m) => m.sourceColumn), ...ctx.ingressMappings.map((m) => m.sourceColumn)]);
  if (ctx.definition.cursorColumn) wanted.add(ctx.definition.cursorColumn);
  if (ctx.definition.softDeleteColumn) wanted.add(ctx.definition.softDeleteColumn);
  for (const t of ctx.targets) collectRuleColumns(t.routingRule, wanted);
  return wanted;
}

/** Columns the definition reads: keys, the watermark, the soft-delete flag, mapped (either way) and routing columns, in table order. */
export function columnsToRead(ctx: DefinitionContext, table: IntrospectedTable): string[] {
  const wanted = wantedColumns(ctx);
  const missing = [...wanted].filter((c) => !table.columns.some((col) => col.name === c));
  if (missing.length) {
    throw ApplicationFailure.nonRetryable(
      `columns ${missing.join(', ')} used by the definition are missing from ${table.schema}.${table.name}; fix the definition or the source`,
      FailureType.SchemaMismatch,
    );
  }
  return table.columns.filter((c) => wanted.has(c.name)).map((c) => c.name);
}

function collectRuleColumns(rule: unknown, into: Set<string>): void {
  if (!rule || typeof rule !== 'object') return;
  const r = rule as Record<string, unknown>;
  if (typeof r.column === 'string') into.add(r.column);
  for (const k of ['all', 'any'] as const) if (Array.isArray(r[k])) for (const sub of r[k] as unknown[]) collectRuleColumns(sub, into);
  if (r.not) collectRuleColumns(r.not, into);
}
