import { contentHash, convertRow, encodeSourceKey, KEY_COLUMN_NAME, KeyTooLongError, routeRow, type FieldMappingSpec, type RoutingRule } from '@syncbridge/shared/mapping';
import type { IntrospectedTable, TypeFamily } from '@syncbridge/shared/sources';

/** What the ledger knows about a row that was synced before. */
export interface LedgerEntry {
  sourceKey: string;
  targetId: string | null;
  listItemId: string | null;
  contentHash: string;
}

export interface PreparedRow {
  sourceKey: string;
  targetId: string;
  fields: Record<string, unknown>;
  hash: string;
}

export type PlannedWrite =
  | { kind: 'create'; row: PreparedRow }
  | { kind: 'update'; row: PreparedRow; listItemId: string }
  | { kind: 'move'; row: PreparedRow; from: { targetId: string; listItemId: string } };

export interface Quarantined {
  sourceKey: string;
  reason: string;
  detail?: Record<string, unknown>;
}

export interface RowPlan {
  writes: PlannedWrite[];
  unchanged: PreparedRow[];
  quarantined: Quarantined[];
}

export interface PlanContext {
  keyColumns: string[];
  /** Type family per key column: keys are encoded from canonical texts, so timestamps keep microseconds. */
  keyFamilies: TypeFamily[];
  mappings: FieldMappingSpec[];
  table: IntrospectedTable;
  targets: Array<{ id: string; routingRule: RoutingRule | null; priority: number; isDefault: boolean }>;
  targetStrategy: 'single' | 'conditional';
}

/** Readable Title for list views when no mapping writes Title: the key values. */
const titleOf = (keyValues: unknown[]) => keyValues.map((v) => (v === null ? '∅' : String(v))).join(' / ').slice(0, 255);

/** Converts and routes one row, or says why it cannot be synced. */
export function prepareRow(row: Record<string, unknown>, ctx: PlanContext): PreparedRow | Quarantined {
  const keyValues = ctx.keyColumns.map((c) => row[c]);
  let sourceKey: string;
  try {
    sourceKey = encodeSourceKey(keyValues, ctx.keyFamilies);
  } catch (err) {
    const reason = err instanceof KeyTooLongError ? err.message : `key cannot be encoded: ${(err as Error).message}`;
    return { sourceKey: `unencodable:${titleOf(keyValues)}`.slice(0, 500), reason };
  }
  const converted = convertRow(row, ctx.mappings, ctx.table);
  if (!converted.ok) return { sourceKey, reason: `column ${converted.column}: ${converted.reason}`, detail: { column: converted.column } };
  const targetId = ctx.targetStrategy === 'single' ? (ctx.targets.find((t) => t.isDefault) ?? ctx.targets[0])?.id : routeRow(row, ctx.targets);
  if (!targetId) return { sourceKey, reason: 'no routing rule matches the row and the definition has no default target' };
  const fields: Record<string, unknown> = { ...converted.fields, [KEY_COLUMN_NAME]: sourceKey };
  if (!ctx.mappings.some((m) => m.targetColumn === 'Title')) fields.Title = titleOf(keyValues);
  return { sourceKey, targetId, fields, hash: contentHash(fields) };
}

const isQuarantined = (r: PreparedRow | Quarantined): r is Quarantined => 'reason' in r;

/** Diffs prepared rows against the ledger: create, update, move, or nothing to do. */
export function planRows(rows: Array<Record<string, unknown>>, ledger: Map<string, LedgerEntry>, ctx: PlanContext): RowPlan {
  const plan: RowPlan = { writes: [], unchanged: [], quarantined: [] };
  const seen = new Set<string>();
  for (const raw of rows) {
    const prepared = prepareRow(raw, ctx);
    if (isQuarantined(prepared)) {
      plan.quarantined.push(prepared);
      continue;
    }
    if (seen.has(prepared.sourceKey)) continue;
    seen.add(prepared.sourceKey);
    const known = ledger.get(prepared.sourceKey);
    if (!known?.listItemId || !known.targetId) plan.writes.push({ kind: 'create', row: prepared });
    else if (known.targetId !== prepared.targetId) plan.writes.push({ kind: 'move', row: prepared, from: { targetId: known.targetId, listItemId: known.listItemId } });
    else if (known.contentHash !== prepared.hash) plan.writes.push({ kind: 'update', row: prepared, listItemId: known.listItemId });
    else plan.unchanged.push(prepared);
  }
  return plan;
}

/** The key columns' type families, from introspection. */
export function keyFamiliesOf(table: IntrospectedTable, keyColumns: string[]): TypeFamily[] {
  return keyColumns.map((c) => table.columns.find((col) => col.name === c)?.typeFamily ?? 'other');
}
