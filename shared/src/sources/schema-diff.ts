import type { IntrospectedColumn, IntrospectedTable, SchemaSnapshot } from './types.ts';

/** One property of a column that differs between two snapshots. */
export type ColumnChange =
  | { property: 'dataType'; before: string; after: string }
  | { property: 'typeFamily'; before: string; after: string }
  | { property: 'nullable'; before: boolean; after: boolean }
  | { property: 'enumValues'; before: string[]; after: string[] };

export interface TableDiff {
  /** `schema.table` (unquoted; for reports, not for SQL). */
  table: string;
  addedColumns: string[];
  removedColumns: string[];
  changedColumns: Array<{ column: string; changes: ColumnChange[] }>;
  primaryKeyChanged: boolean;
}

export interface SchemaDiff {
  addedTables: string[];
  removedTables: string[];
  changedTables: TableDiff[];
  hasChanges: boolean;
}

const tableKey = (t: Pick<IntrospectedTable, 'schema' | 'name'>) => `${t.schema}.${t.name}`;
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

function columnChanges(before: IntrospectedColumn, after: IntrospectedColumn): ColumnChange[] {
  const changes: ColumnChange[] = [];
  if (before.dataType !== after.dataType) changes.push({ property: 'dataType', before: before.dataType, after: after.dataType });
  // A domain can change its base type without the declared type name changing.
  if (before.typeFamily !== after.typeFamily) changes.push({ property: 'typeFamily', before: before.typeFamily, after: after.typeFamily });
  if (before.nullable !== after.nullable) changes.push({ property: 'nullable', before: before.nullable, after: after.nullable });
  // New or reordered enum labels matter: they are the choices of a SharePoint choice column.
  const be = before.enumValues ?? [];
  const ae = after.enumValues ?? [];
  if (!sameList(be, ae)) changes.push({ property: 'enumValues', before: [...be], after: [...ae] });
  return changes;
}

/** Compares two tables' columns and primary key. */
export function diffTables(before: IntrospectedTable, after: IntrospectedTable): TableDiff {
  const beforeCols = new Map(before.columns.map((c) => [c.name, c]));
  const afterCols = new Map(after.columns.map((c) => [c.name, c]));
  const changedColumns: TableDiff['changedColumns'] = [];
  for (const [name, col] of afterCols) {
    const prev = beforeCols.get(name);
    if (!prev) continue;
    const changes = columnChanges(prev, col);
    if (changes.length) changedColumns.push({ column: name, changes });
  }
  return {
    table: tableKey(after),
    addedColumns: [...afterCols.keys()].filter((n) => !beforeCols.has(n)),
    removedColumns: [...beforeCols.keys()].filter((n) => !afterCols.has(n)),
    changedColumns,
    primaryKeyChanged: !sameList(before.primaryKey?.columns ?? [], after.primaryKey?.columns ?? []),
  };
}

/**
 * Schema changes between two snapshots: tables added/removed and, for tables in both,
 * columns added/removed/changed (type, family, nullability, enum labels). Pure; used to
 * report drift of a source against the snapshot a definition was validated with.
 */
export function diffSnapshots(before: SchemaSnapshot, after: SchemaSnapshot): SchemaDiff {
  const beforeTables = new Map(before.tables.map((t) => [tableKey(t), t]));
  const afterTables = new Map(after.tables.map((t) => [tableKey(t), t]));
  const changedTables: TableDiff[] = [];
  for (const [key, table] of afterTables) {
    const prev = beforeTables.get(key);
    if (!prev) continue;
    const diff = diffTables(prev, table);
    if (diff.addedColumns.length || diff.removedColumns.length || diff.changedColumns.length || diff.primaryKeyChanged) changedTables.push(diff);
  }
  const addedTables = [...afterTables.keys()].filter((k) => !beforeTables.has(k)).sort();
  const removedTables = [...beforeTables.keys()].filter((k) => !afterTables.has(k)).sort();
  return { addedTables, removedTables, changedTables, hasChanges: addedTables.length + removedTables.length + changedTables.length > 0 };
}
