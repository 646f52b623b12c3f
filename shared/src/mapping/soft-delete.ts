import type { IntrospectedColumn, TypeFamily } from '../sources/types.ts';
import type { SourceValue } from '../sources/writes.ts';
import { formatUtcDate } from './temporal.ts';

/*
 * Soft deletion (definition policy `soft_delete`): an item deleted in the list marks its row
 * instead of deleting it. The mark is a boolean set true, or a date/timestamp set to the time of
 * the deletion. A marked row is deleted as far as push is concerned: its item is never created
 * again, and the delete sweep removes an item whose row was marked in the table.
 */

const MARK_FAMILIES: readonly TypeFamily[] = ['boolean', 'date', 'timestamp', 'timestamptz'];

/** Why this column cannot be the soft-delete mark, or null when it can. */
export function softDeleteProblem(column: IntrospectedColumn | undefined, keyColumns: readonly string[], name: string): string | null {
  if (!column) return `column "${name}" does not exist in the table`;
  if (keyColumns.includes(column.name)) return `"${name}" is a key column; the mark must be another column`;
  if (column.generated || column.identity === 'always') return `"${name}" is generated and cannot be written`;
  if (!MARK_FAMILIES.includes(column.typeFamily))
    return `"${name}" is ${column.dataType}; the mark must be a boolean (set true) or a date/timestamp column (set to the deletion time)`;
  return null;
}

/** The value that marks a row deleted at `now`, in the column's own type family. */
export function softDeleteMark(column: IntrospectedColumn, now: Date): SourceValue {
  switch (column.typeFamily) {
    case 'boolean':
      return true;
    case 'date':
      return formatUtcDate(now);
    case 'timestamp':
      return now.toISOString().slice(0, -1);
    default:
      return now.toISOString();
  }
}

/** Whether a row value read from the mark column says the row is deleted (true, 1, or any date). */
export function isSoftDeleted(value: unknown): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return Number(value) !== 0;
  if (typeof value === 'string') return !['', 'f', 'false', '0'].includes(value.trim().toLowerCase());
  return true;
}
