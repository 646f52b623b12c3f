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

/** A partition attached to or detached from (or created in, dropped from) a partitioned table. */
export interface PartitionChange {
  /** `schema.table` of the partition. */
  table: string;
  /** `schema.table` of the partitioned table it belongs (or belonged) to. */
  partitionOf: string;
}

export interface SchemaDiff {
  /** Tables, views, partitioned tables... that appeared; partitions are reported in addedPartitions. */
  addedTables: string[];
  removedTables: string[];
  changedTables: TableDiff[];
  addedPartitions: PartitionChange[];
  removedPartitions: PartitionChange[];
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
 * Partitions gained and lost by partitioned tables present in both snapshots. A parent from a
 * snapshot taken before partitions were recorded (no `partitions` list) is not compared: its
 * partitions are not new, only newly reported.
 */
function partitionChanges(before: Map<string, IntrospectedTable>, after: Map<string, IntrospectedTable>) {
  const added: PartitionChange[] = [];
  const removed: PartitionChange[] = [];
  for (const [key, table] of after) {
    const prev = before.get(key)?.partitions;
    if (!table.partitions || !prev) continue;
    for (const p of table.partitions) if (!prev.includes(p)) added.push({ table: p, partitionOf: key });
    for (const p of prev) if (!table.partitions.includes(p)) removed.push({ table: p, partitionOf: key });
  }
  const order = (a: PartitionChange, b: PartitionChange) => (a.table < b.table ? -1 : a.table > b.table ? 1 : 0);
  return { addedPartitions: added.sort(order), removedPartitions: removed.sort(order) };
}

/**
 * Schema changes between two snapshots: tables added/removed and, for tables in both,
 * columns added/removed/changed (type, family, nullability, enum labels). Pure; used to
 * report drift of a source against the snapshot a definition was validated with.
 * Partitions are not tables here: their columns are their parent's, so a column change is
 * reported once, on the parent, and partitions coming and going (monthly partitions, say)
 * are listed apart, in addedPartitions/removedPartitions. A table attached as a partition
 * is a removed table (it can no longer be synced on its own) and an added partition.
 */
export function diffSnapshots(before: SchemaSnapshot, after: SchemaSnapshot): SchemaDiff {
  const all = (s: SchemaSnapshot) => new Map(s.tables.map((t) => [tableKey(t), t]));
  const tablesOf = (m: Map<string, IntrospectedTable>) => new Map([...m].filter(([, t]) => t.kind !== 'partition'));
  const [beforeAll, afterAll] = [all(before), all(after)];
  const [beforeTables, afterTables] = [tablesOf(beforeAll), tablesOf(afterAll)];
  const changedTables: TableDiff[] = [];
  for (const [key, table] of afterTables) {
    const prev = beforeTables.get(key);
    if (!prev) continue;
    const diff = diffTables(prev, table);
    if (diff.addedColumns.length || diff.removedColumns.length || diff.changedColumns.length || diff.primaryKeyChanged) changedTables.push(diff);
  }
  const addedTables = [...afterTables.keys()].filter((k) => !beforeTables.has(k)).sort();
  const removedTables = [...beforeTables.keys()].filter((k) => !afterTables.has(k)).sort();
  const { addedPartitions, removedPartitions } = partitionChanges(beforeAll, afterAll);
  const count = addedTables.length + removedTables.length + changedTables.length + addedPartitions.length + removedPartitions.length;
  return { addedTables, removedTables, changedTables, addedPartitions, removedPartitions, hasChanges: count > 0 };
}
