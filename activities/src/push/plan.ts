import {
  contentHash,
  convertRow,
  encodeSourceKey,
  isSoftDeleted,
  KEY_COLUMN_NAME,
  KeyTooLongError,
  legacyKeyText,
  routeRow,
  type FieldMappingSpec,
  type Lookups,
  type RoutingRule,
} from '@syncbridge/shared/mapping';
import { routingTargets, type FrozenDefinition, type FrozenTarget, type LedgerEntry } from '@syncbridge/shared/domain';
import type { IntrospectedTable, TypeFamily } from '@syncbridge/shared/sources';

export type { LedgerEntry };

export interface PreparedRow {
  sourceKey: string;
  targetId: string;
  fields: Record<string, unknown>;
  hash: string;
}

/**
 * `rekeyFrom`: the ledger knew this row under the key an earlier version wrote (see
 * legacyKeyText); the write moves the item and its ledger entry to the lossless key.
 */
export type PlannedWrite =
  | { kind: 'create'; row: PreparedRow }
  | { kind: 'update'; row: PreparedRow; listItemId: string; rekeyFrom?: string }
  | { kind: 'move'; row: PreparedRow; from: { targetId: string; listItemId: string }; rekeyFrom?: string };

export interface Quarantined {
  sourceKey: string;
  reason: string;
  detail?: Record<string, unknown>;
}

export interface RowPlan {
  writes: PlannedWrite[];
  unchanged: PreparedRow[];
  quarantined: Quarantined[];
  /** Ledger entries of rows that cannot be written now, to move to the lossless key anyway. */
  renames: Array<{ from: string; to: string }>;
  /** Rows marked soft-deleted: not written; their ledger entries are marked for the run's guarded delete. */
  softDeleted: number;
  /** The (lossless) keys of those rows. */
  softDeletedKeys: string[];
}

export interface PlanContext {
  keyColumns: string[];
  /** Type family per key column (from introspection). */
  keyFamilies: TypeFamily[];
  /** Declared length of char(n) key columns (null for others): earlier versions kept their blanks. */
  keyCharLengths: Array<number | null>;
  mappings: FieldMappingSpec[];
  table: IntrospectedTable;
  targets: Array<{ id: string; routingRule: RoutingRule | null; priority: number; isDefault: boolean }>;
  targetStrategy: 'single' | 'conditional';
  /** The soft-delete mark column (policy soft_delete): a marked row is never written; the sweep removes its item. */
  softDeleteColumn?: string | null;
  /** Person and lookup tables for values going to this target's list (loaded for the batch: sync/lookups.ts). */
  lookupsFor?: (targetId: string) => Lookups | undefined;
}

/** A row as read from the source: its values and the canonical (lossless) text of its key columns. */
export interface SourceRow {
  values: Record<string, unknown>;
  key: string[];
}

/** Cuts text to SharePoint's single-line limit without splitting a surrogate pair (an emoji). */
function cut(text: string, max = 255): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max;
  return text.slice(0, end);
}

/** Readable Title for list views when no mapping writes Title: the canonical key texts (ISO 8601 for timestamps). */
export const titleOf = (keyTexts: ReadonlyArray<string | null>) => cut(keyTexts.map((v) => (v === null ? '∅' : v)).join(' / '));

/** The key an earlier version wrote for this row, when it differs from the lossless one. */
export function legacyKeyOf(key: readonly string[], ctx: Pick<PlanContext, 'keyFamilies' | 'keyCharLengths'>): string | null {
  let differs = false;
  const texts = key.map((text, i) => {
    const legacy = legacyKeyText(text, ctx.keyFamilies[i], ctx.keyCharLengths[i]);
    if (legacy === null || legacy === text) return text;
    differs = true;
    return legacy;
  });
  if (!differs) return null;
  try {
    return encodeSourceKey(texts);
  } catch {
    return null;
  }
}

/** Converts and routes one row, or says why it cannot be synced. */
export function prepareRow(row: SourceRow, ctx: PlanContext): PreparedRow | Quarantined {
  let sourceKey: string;
  try {
    sourceKey = encodeSourceKey(row.key, ctx.keyFamilies);
  } catch (err) {
    const reason = err instanceof KeyTooLongError ? err.message : `key cannot be encoded: ${(err as Error).message}`;
    return { sourceKey: `unencodable:${titleOf(row.key)}`.slice(0, 500), reason };
  }
  // Routed first: people and lookups resolve against the list the row goes to.
  const targetId = ctx.targetStrategy === 'single' ? (ctx.targets.find((t) => t.isDefault) ?? ctx.targets[0])?.id : routeRow(row.values, ctx.targets);
  const converted = convertRow(row.values, ctx.mappings, ctx.table, targetId ? ctx.lookupsFor?.(targetId) : undefined);
  if (!converted.ok) return { sourceKey, reason: `column ${converted.column}: ${converted.reason}`, detail: { column: converted.column } };
  if (!targetId) return { sourceKey, reason: 'no routing rule matches the row and the definition has no default target' };
  const fields: Record<string, unknown> = { ...converted.fields, [KEY_COLUMN_NAME]: sourceKey };
  if (!ctx.mappings.some((m) => m.targetColumn === 'Title')) fields.Title = titleOf(row.key);
  return { sourceKey, targetId, fields, hash: contentHash(fields) };
}

const isQuarantined = (r: PreparedRow | Quarantined): r is Quarantined => 'reason' in r;

/**
 * Diffs prepared rows against the ledger: create, update, move, or nothing to do. A row the
 * ledger knows only under its legacy key takes that entry over (each legacy entry once: two
 * rows that shared a truncated key get one item each).
 */
export function planRows(rows: readonly SourceRow[], ledger: Map<string, LedgerEntry>, ctx: PlanContext): RowPlan {
  const plan: RowPlan = { writes: [], unchanged: [], quarantined: [], renames: [], softDeleted: 0, softDeletedKeys: [] };
  const seen = new Set<string>();
  const claimed = new Set<string>();
  const claimLegacy = (row: SourceRow, sourceKey: string): LedgerEntry | undefined => {
    if (ledger.has(sourceKey)) return undefined;
    const legacy = legacyKeyOf(row.key, ctx);
    if (!legacy || claimed.has(legacy) || !ledger.has(legacy)) return undefined;
    claimed.add(legacy);
    return ledger.get(legacy);
  };
  for (const raw of rows) {
    if (ctx.softDeleteColumn && isSoftDeleted(raw.values[ctx.softDeleteColumn])) {
      plan.softDeleted++;
      try {
        plan.softDeletedKeys.push(encodeSourceKey(raw.key, ctx.keyFamilies));
      } catch {
        // A key that cannot be encoded never had an item.
      }
      continue;
    }
    const prepared = prepareRow(raw, ctx);
    // A key read twice in one batch is handled once, whatever its first reading became.
    if (seen.has(prepared.sourceKey)) continue;
    seen.add(prepared.sourceKey);
    if (isQuarantined(prepared)) {
      plan.quarantined.push(prepared);
      if (!prepared.sourceKey.startsWith('unencodable:')) {
        const legacy = claimLegacy(raw, prepared.sourceKey);
        if (legacy) plan.renames.push({ from: legacy.sourceKey, to: prepared.sourceKey });
      }
      continue;
    }
    const legacy = claimLegacy(raw, prepared.sourceKey);
    const known = legacy ?? ledger.get(prepared.sourceKey);
    const rekey = legacy ? { rekeyFrom: legacy.sourceKey } : {};
    if (!known?.listItemId || !known.targetId) {
      plan.writes.push({ kind: 'create', row: prepared });
      if (legacy) plan.renames.push({ from: legacy.sourceKey, to: prepared.sourceKey });
    } else if (known.targetId !== prepared.targetId)
      plan.writes.push({ kind: 'move', row: prepared, from: { targetId: known.targetId, listItemId: known.listItemId }, ...rekey });
    else if (legacy || known.contentHash !== prepared.hash) plan.writes.push({ kind: 'update', row: prepared, listItemId: known.listItemId, ...rekey });
    else plan.unchanged.push(prepared);
  }
  return plan;
}

/** The keys to look up in the ledger for these rows: each lossless key and, where it differs, its legacy form. */
export function ledgerKeysFor(rows: readonly SourceRow[], ctx: PlanContext): string[] {
  const keys = new Set<string>();
  for (const r of rows) {
    try {
      keys.add(encodeSourceKey(r.key, ctx.keyFamilies));
    } catch {
      continue;
    }
    const legacy = legacyKeyOf(r.key, ctx);
    if (legacy) keys.add(legacy);
  }
  return [...keys];
}

/** How push plans the rows of this definition's table. */
export function planContextOf(
  ctx: { definition: FrozenDefinition; mappings: FieldMappingSpec[]; targets: FrozenTarget[] },
  table: IntrospectedTable,
): PlanContext {
  const d = ctx.definition;
  return {
    keyColumns: d.keyColumns,
    keyFamilies: keyFamiliesOf(table, d.keyColumns),
    keyCharLengths: keyCharLengthsOf(table, d.keyColumns),
    mappings: ctx.mappings,
    table,
    targets: routingTargets(ctx.targets),
    targetStrategy: d.targetStrategy,
    softDeleteColumn: d.ingressDeletePolicy === 'soft_delete' ? d.softDeleteColumn : null,
  };
}

/** The key columns' type families, from introspection. */
export function keyFamiliesOf(table: IntrospectedTable, keyColumns: string[]): TypeFamily[] {
  return keyColumns.map((c) => table.columns.find((col) => col.name === c)?.typeFamily ?? 'other');
}

/** Declared length of each char(n) key column (blank-padded type), null for every other type. */
export function keyCharLengthsOf(table: IntrospectedTable, keyColumns: string[]): Array<number | null> {
  return keyColumns.map((c) => {
    const col = table.columns.find((x) => x.name === c);
    return col && /^character\(\d+\)$/.test(col.dataType) ? col.maxLength : null;
  });
}
