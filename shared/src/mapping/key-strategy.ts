import type { IntrospectedColumn, IntrospectedTable, TypeFamily } from '../sources/types.ts';
import { uniqueKeysOf } from '../sources/unique-keys.ts';
import type { CursorStrategy, KeyStrategy, ValidationIssue } from './types.ts';

/*
 * Key rules. The key is the row's identity in the ledger and in the list's unique key
 * column, so it must be unique and total: every rule below is an error, not a warning,
 * because a key that can repeat or be NULL merges or loses rows silently.
 */

/** Families that cannot identify a row: no equality (json), inexact equality (floats), or unwieldy (arrays). */
const UNSUITABLE_KEY_FAMILIES: ReadonlySet<TypeFamily> = new Set(['json', 'jsonb', 'array', 'real', 'double']);

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
const covers = (keys: readonly string[], unique: readonly string[]) => unique.length > 0 && unique.every((c) => keys.includes(c));

/** Column sets PostgreSQL guarantees unique; the same list introspection reports as `uniqueKeys`. */
const uniqueSets = (table: IntrospectedTable): string[][] => uniqueKeysOf(table).map((k) => k.columns);

/**
 * - pk: the key columns are exactly the primary key's columns (any order).
 * - unique: exactly the columns of a unique constraint or a unique, non-partial index on
 *   plain columns (a partial index leaves the other rows free to repeat).
 * - composite: two or more columns that contain a primary key or unique constraint/index
 *   (a superset of a unique set is unique too); anything less can repeat, so it is refused.
 * For every strategy each key column must be NOT NULL: PostgreSQL lets many rows hold NULL
 * in a unique column, and those rows could not be told apart. json/array/float columns
 * are refused as key columns.
 */
export function validateKeyStrategy(table: IntrospectedTable, strategy: KeyStrategy, keyColumns: string[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const add = (field: string, message: string) => issues.push({ field, message });
  if (keyColumns.length === 0) return [{ field: 'keyColumns', message: 'at least one key column is required' }];
  if (new Set(keyColumns).size !== keyColumns.length) add('keyColumns', 'key columns must not repeat');
  const columns = new Map(table.columns.map((c) => [c.name, c]));
  for (const name of keyColumns) {
    const col = columns.get(name);
    if (!col) {
      add('keyColumns', `column "${name}" does not exist in ${table.schema}.${table.name}`);
      continue;
    }
    if (col.nullable) add('keyColumns', `column "${name}" is nullable: rows with NULL keys cannot be identified (add NOT NULL to the column)`);
    if (UNSUITABLE_KEY_FAMILIES.has(col.typeFamily)) add('keyColumns', `column "${name}" (${col.dataType}) cannot be a key column`);
  }
  if (issues.length) return issues;

  const sets = uniqueSets(table);
  const relation =
    table.kind === 'view' || table.kind === 'foreign_table'
      ? ` (a ${table.kind.replace('_', ' ')} has no keys; sync its base table or a materialized view with a unique index)`
      : '';
  switch (strategy) {
    case 'pk':
      if (!table.primaryKey) add('keyStrategy', `${table.schema}.${table.name} has no primary key${relation}`);
      else if (!sameSet(keyColumns, table.primaryKey.columns))
        add('keyColumns', `the primary key is (${table.primaryKey.columns.join(', ')}), not (${keyColumns.join(', ')})`);
      break;
    case 'unique':
      if (!sets.some((s) => sameSet(s, keyColumns)))
        add('keyColumns', `no unique constraint or non-partial unique index on exactly (${keyColumns.join(', ')})${relation}`);
      break;
    case 'composite':
      if (keyColumns.length < 2) add('keyColumns', 'a composite key needs at least two columns (use "pk" or "unique" for one)');
      else if (!sets.some((s) => covers(keyColumns, s)))
        add(
          'keyColumns',
          `(${keyColumns.join(', ')}) is not guaranteed unique: no primary key or unique constraint/index lies within these columns${relation}`,
        );
      break;
    default:
      add('keyStrategy', `unknown key strategy "${String(strategy)}" (pk, unique, composite)`);
  }
  return issues;
}

const CURSOR_FAMILIES: ReadonlySet<TypeFamily> = new Set(['timestamp', 'timestamptz', 'date', 'smallint', 'integer', 'bigint']);
const TIME_FAMILIES: ReadonlySet<TypeFamily> = new Set(['timestamp', 'timestamptz', 'date']);
// Names that usually mean "changed with every update"; created_at and the like only move on insert.
const CHANGE_NAME = /updat|modif|chang|edit|touch|mtime|last_?(update|modif|change|write)/i;
// An integer is a cursor only when it is a version counter; ids and quantities are not.
const VERSION_NAME = /version|revision|(^|_)rev(_|$)|(^|_)seq(_|$)|change_?(no|num|number|id)$/i;
const MAX_SUGGESTIONS = 5;

/** Columns that could serve as the watermark, the likeliest first: change timestamps, version counters, other dates. */
export function cursorCandidates(table: IntrospectedTable): IntrospectedColumn[] {
  const rank = (c: IntrospectedColumn) => {
    if (TIME_FAMILIES.has(c.typeFamily)) return CHANGE_NAME.test(c.name) ? 0 : 2;
    return CURSOR_FAMILIES.has(c.typeFamily) && VERSION_NAME.test(c.name) ? 1 : -1;
  };
  return table.columns
    .map((c, i) => ({ c, i, r: rank(c) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.c);
}

/** The next step for a cursor that does not fit: the candidate columns, or full_scan when there are none. */
function cursorAdvice(table: IntrospectedTable): string {
  const candidates = cursorCandidates(table);
  if (candidates.length === 0) {
    return `${table.schema}.${table.name} has no timestamp, date or version column to use instead: use cursorStrategy: "full_scan" (no cursor column; every run compares all rows by content)`;
  }
  const shown = candidates.slice(0, MAX_SUGGESTIONS).map((c) => `"${c.name}" (${c.dataType})`);
  const more = candidates.length > MAX_SUGGESTIONS ? ` and ${candidates.length - MAX_SUGGESTIONS} more` : '';
  return `columns that could be the cursor: ${shown.join(', ')}${more}`;
}

/**
 * updated_at needs a column that grows with every change: a timestamp, timestamptz or date,
 * or an integer version number. full_scan reads every row and needs no cursor. A cursor that
 * does not fit is answered with the columns that could be used, or with full_scan.
 */
export function validateCursor(table: IntrospectedTable, strategy: CursorStrategy, cursorColumn: string | null | undefined): ValidationIssue[] {
  // logical_replication reads the server's log (checked live against the server: sources/postgres/replication.ts).
  if (strategy === 'full_scan' || strategy === 'logical_replication') return [];
  if (strategy !== 'updated_at')
    return [{ field: 'cursorStrategy', message: `unknown cursor strategy "${String(strategy)}" (updated_at, full_scan, logical_replication)` }];
  if (!cursorColumn) return [{ field: 'cursorColumn', message: 'the updated_at strategy needs a cursor column' }];
  const col = table.columns.find((c) => c.name === cursorColumn);
  if (!col) return [{ field: 'cursorColumn', message: `column "${cursorColumn}" does not exist in ${table.schema}.${table.name}; ${cursorAdvice(table)}` }];
  if (!CURSOR_FAMILIES.has(col.typeFamily)) {
    return [
      {
        field: 'cursorColumn',
        message: `column "${cursorColumn}" (${col.dataType}) cannot be a cursor: use a timestamp, timestamptz, date or integer version column; ${cursorAdvice(table)}`,
      },
    ];
  }
  return [];
}
