import { canonicalKeyText } from '../../mapping/canonical.ts';
import type { RelationRef } from '../reads.ts';
import { arrayElementTexts, writeText, type ArrayTexts } from '../write-values.ts';
import type { RowChange, WriteBatch, WriteExpectation } from '../writes.ts';
import type { ColumnType } from './query.ts';
import { expectationProblem } from '../write-batch.ts';

/*
 * A batch's changes checked and turned into texts before any SQL: each change either becomes a
 * PreparedChange (key and values as the texts the statements bind) or is rejected with the
 * reason. Nothing here needs the database beyond the column types.
 */

export interface PreparedChange {
  /** Position in the batch. */
  index: number;
  op: RowChange['op'];
  /** Canonical key texts, one per key column. */
  key: string[];
  /** Columns the change sets besides the key, sorted (changes with the same set share a statement). */
  columns: string[];
  /** Texts to bind, aligned with `columns` (arrays as PostgreSQL array literals); null for NULL. */
  texts: Array<string | null>;
  expected: WriteExpectation | undefined;
}

export type Preparation = { ok: true; change: PreparedChange } | { ok: false; reason: string };

/** A PostgreSQL array literal with every element quoted, so any text is data: `{"a b","c\"d",NULL,{"1"}}`. */
export function arrayLiteral(elements: ArrayTexts): string {
  const item = (e: string | null | ArrayTexts): string =>
    e === null ? 'NULL' : Array.isArray(e) ? arrayLiteral(e) : `"${e.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return `{${elements.map(item).join(',')}}`;
}

/** Why a column cannot be written at all, or null. */
function readOnlyReason(name: string, type: ColumnType): string | null {
  if (type.generated) return `column "${name}" is generated (GENERATED ALWAYS AS ... STORED): it cannot be written`;
  if (type.identity === 'always') return `column "${name}" is GENERATED ALWAYS AS IDENTITY: it cannot be written`;
  if (type.baseType === 'tsvector') return `column "${name}" is a tsvector (a search index computed from text): it is read-only`;
  return null;
}

/** The text to bind for one value, or the reason it cannot be written to this column. */
function valueText(name: string, type: ColumnType, value: unknown): { ok: true; text: string | null } | { ok: false; reason: string } {
  if (type.family === 'array') {
    const converted = arrayElementTexts(value, { name, family: type.family, elementFamily: type.elementFamily });
    if (!converted.ok) return { ok: false, reason: `column "${name}": ${converted.reason}` };
    return { ok: true, text: converted.elements === null ? null : arrayLiteral(converted.elements) };
  }
  const converted = writeText(value, { name, family: type.family });
  return converted.ok ? converted : { ok: false, reason: `column "${name}": ${converted.reason}` };
}

export function prepareChange(change: RowChange, index: number, batch: WriteBatch, types: Map<string, ColumnType>, ref: RelationRef): Preparation {
  const fail = (reason: string): Preparation => ({ ok: false, reason });
  if (!change || !['insert', 'update', 'delete'].includes(change.op)) return fail('op must be insert, update or delete');
  if (!Array.isArray(change.key) || change.key.length !== batch.keyColumns.length) {
    return fail(`the key needs ${batch.keyColumns.length} value(s) (${batch.keyColumns.join(', ')})`);
  }
  const key: string[] = [];
  for (const [i, column] of batch.keyColumns.entries()) {
    let text: string | null;
    try {
      text = canonicalKeyText(change.key[i], (types.get(column) as ColumnType).family);
    } catch (err) {
      return fail(`key column "${column}": ${err instanceof Error ? err.message : String(err)}`);
    }
    if (text === null) return fail(`key column "${column}" cannot be NULL`);
    key.push(text);
  }
  const expectedProblem = expectationProblem(change, batch);
  if (expectedProblem) return fail(expectedProblem);
  const values = change.values ?? {};
  if (typeof values !== 'object' || Array.isArray(values)) return fail('values must be an object of column names');
  if (change.op === 'delete') {
    return Object.keys(values).length
      ? fail('a delete takes no values')
      : { ok: true, change: { index, op: 'delete', key, columns: [], texts: [], expected: change.expected } };
  }
  const columns: string[] = [];
  const texts: Array<string | null> = [];
  for (const name of Object.keys(values).sort()) {
    const type = types.get(name);
    if (!type) return fail(`column "${name}" does not exist in ${ref.schema}.${ref.table}`);
    const keyIndex = batch.keyColumns.indexOf(name);
    if (keyIndex >= 0) {
      // Keys never change in place: the same value is accepted (a full row), another is not.
      let same = false;
      try {
        same = canonicalKeyText(values[name], type.family) === key[keyIndex];
      } catch {
        same = false;
      }
      if (!same) return fail(`values may not change key column "${name}"; delete the row and insert it under its new key`);
      continue;
    }
    const readOnly = readOnlyReason(name, type);
    if (readOnly) return fail(readOnly);
    const converted = valueText(name, type, values[name]);
    if (!converted.ok) return fail(converted.reason);
    columns.push(name);
    texts.push(converted.text);
  }
  if (change.op === 'update' && columns.length === 0) return fail('an update needs at least one column besides the key in values');
  if (change.op === 'insert') {
    // A key the column's own sequence handed out (reserveKeys) may go into an identity column that refuses given values.
    const writableKey = (t: ColumnType): ColumnType => (batch.reservedKeys && t.identity === 'always' ? { ...t, identity: 'by_default' } : t);
    const keyReadOnly = batch.keyColumns.map((k) => readOnlyReason(k, writableKey(types.get(k) as ColumnType))).find((r) => r !== null);
    if (keyReadOnly) return fail(`rows cannot be inserted with their key: ${keyReadOnly}`);
  }
  return { ok: true, change: { index, op: change.op, key, columns, texts, expected: change.expected } };
}
