import type { IntrospectedTable } from './types.ts';
import { uniqueKeysOf } from './unique-keys.ts';

/*
 * What a table allows, said where it differs between tables and engines: relations SyncBridge
 * only reads, tables it cannot key, storage it cannot write transactionally, watermarks it can
 * only find by scanning. Derived from a snapshot, so the schema view and a definition's
 * validation say the same; the write path checks the live table again (checkWritable).
 */

export type TableNoteCode = 'read_only' | 'no_usable_key' | 'non_transactional';

export interface TableNote {
  code: TableNoteCode;
  message: string;
}

const READ_ONLY_KINDS: Partial<Record<IntrospectedTable['kind'], string>> = {
  view: 'a view',
  materialized_view: 'a materialized view',
  foreign_table: 'a foreign table',
};

/** Why ingress can never write to the table (whatever its key or privileges), or null. */
export function readOnlyReason(table: IntrospectedTable): string | null {
  const kind = READ_ONLY_KINDS[table.kind];
  if (kind) return `${table.schema}.${table.name} is ${kind}: SyncBridge reads it (push) but never writes to it (ingress)`;
  if (table.storage && !table.storage.transactional) {
    return `${table.schema}.${table.name} uses the ${table.storage.engine} storage engine, which has no transactions: ingress refuses it (a batch that fails half-way could not be rolled back); push reads it`;
  }
  return null;
}

/** Notes on one table for the schema view; empty for an ordinary keyed table. Partitions say where to sync instead elsewhere. */
export function tableNotes(table: IntrospectedTable): TableNote[] {
  if (table.kind === 'partition') return [];
  const notes: TableNote[] = [];
  const readOnly = readOnlyReason(table);
  if (readOnly) notes.push({ code: table.storage && !table.storage.transactional ? 'non_transactional' : 'read_only', message: readOnly });
  if ((table.uniqueKeys ?? uniqueKeysOf(table)).length === 0) {
    const relation = table.kind === 'view' || table.kind === 'foreign_table' ? ` (a ${table.kind.replace('_', ' ')} has no keys of its own)` : '';
    notes.push({
      code: 'no_usable_key',
      message: `${table.schema}.${table.name} has no primary key, unique constraint or unique index${relation}: a sync definition needs one to tell rows apart; add a key, or sync a materialized view with a unique index`,
    });
  }
  return notes;
}

/** True when an index (without a predicate, on plain columns) starts with the column: incremental reads by this watermark can seek instead of scanning the table. */
export function cursorIndexed(table: IntrospectedTable, column: string): boolean {
  return table.indexes.some((i) => i.columns[0] === column && !(i.partial ?? /\bWHERE\b/i.test(i.definition)) && !i.hasExpressions);
}
