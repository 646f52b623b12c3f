import { canonicalKeyText } from '../../mapping/canonical.ts';
import { canonicalDecimal, compareDecimal } from '../../mapping/decimal.ts';
import { canonicalJson } from '../../mapping/json.ts';
import type { RelationRef } from '../reads.ts';
import { writeText } from '../write-values.ts';
import type { RowChange, WriteBatch, WriteExpectation } from '../writes.ts';
import { isGeometryType } from './families.ts';
import { literal } from './ident.ts';
import { constantSql, serverTimestampText, shortestFloat, type ColumnType } from './query.ts';
import { expectationProblem } from '../write-batch.ts';

/*
 * A batch's changes checked and turned into SQL literals before any statement: each change
 * either becomes a PreparedChange or is rejected with the reason. Values go to the server as
 * text (or bytes) and the server stores them in the column's type under the strict sql_mode,
 * so what is stored is exactly what the text says (integers and decimals are parsed by the
 * server, never through a double) and a value the column cannot hold is an error, not a warning.
 */

/** What to bind for one value: text (the server converts it on store), bytes, or NULL. */
export type WriteValue = string | Buffer | null;

export interface PreparedChange {
  index: number;
  op: RowChange['op'];
  /** Canonical key texts, one per key column. */
  key: string[];
  /** The key as values to store (inserts). */
  keyValues: WriteValue[];
  /** Columns the change sets besides the key, sorted (changes with the same set share a statement). */
  columns: string[];
  values: WriteValue[];
  expected: WriteExpectation | undefined;
}

export type Preparation = { ok: true; change: PreparedChange } | { ok: false; reason: string };

const UNSIGNED = /\bunsigned\b/;
const isBit = (t: ColumnType) => t.dataType === 'bit';

/** The SQL of a value to store: the literal, converted where the column does not take text (bits, geometries). */
export function writeSql(expr: string, type: ColumnType): string {
  if (isBit(type)) return `cast(${expr} as unsigned)`;
  if (isGeometryType(type.dataType)) return `ST_GeomFromText(${expr})`;
  return expr;
}

export const writeLiteral = (value: WriteValue) => literal(value);

type Converted = { ok: true; value: WriteValue } | { ok: false; reason: string };

/** One value as what to bind, or why the column cannot take it. */
export function convertValue(value: unknown, type: ColumnType): Converted {
  const fail = (reason: string): Converted => ({ ok: false, reason: `column "${type.name}": ${reason}` });
  if (value === null || value === undefined) return { ok: true, value: null };
  const family = type.family;
  const bitInteger = isBit(type) && family === 'other';
  if ((bitInteger || (family === 'bigint' && UNSIGNED.test(type.columnType))) && (typeof value === 'string' || typeof value === 'bigint')) {
    // Unsigned bigint reaches 2^64 - 1, past the signed range writeText checks; the server checks the column's own.
    const text = canonicalDecimal(String(value).trim());
    if (text === null || text.includes('.')) return fail(`${JSON.stringify(String(value).slice(0, 40))} is not an integer`);
    return { ok: true, value: text };
  }
  const converted = writeText(value, { name: type.name, family: bitInteger ? 'bigint' : family === 'other' || family === 'enum' ? 'text' : family });
  if (!converted.ok) return fail(converted.reason);
  const text = converted.text;
  if (text === null) return { ok: true, value: null };
  switch (family) {
    case 'numeric':
    case 'real':
    case 'double':
      if (canonicalDecimal(text) === null) return fail(`${text} cannot be stored: MySQL and MariaDB have no NaN or Infinity`);
      return { ok: true, value: text };
    case 'boolean':
      return { ok: true, value: text === 'true' ? '1' : '0' };
    case 'date':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return fail(`${JSON.stringify(text)} cannot be stored: MySQL and MariaDB dates have no infinity and no BC years`);
      return { ok: true, value: text };
    case 'timestamp':
    case 'timestamptz': {
      const server = serverTimestampText(text, family === 'timestamptz');
      if (server === null) return fail(`${JSON.stringify(text)} cannot be stored: MySQL and MariaDB timestamps have no infinity and no BC years`);
      return { ok: true, value: server };
    }
    case 'bytea':
      return { ok: true, value: Buffer.from(text.slice(2), 'hex') };
    default:
      return { ok: true, value: text };
  }
}

/** Whether a stored value (its canonical text) already is what the change would store. */
export function sameValue(stored: string | null, wanted: WriteValue, type: ColumnType): boolean {
  if (stored === null || wanted === null) return stored === null && wanted === null;
  if (Buffer.isBuffer(wanted)) return stored === `\\x${wanted.toString('hex')}`;
  switch (type.family) {
    case 'smallint':
    case 'integer':
    case 'bigint':
    case 'numeric': {
      const a = canonicalDecimal(stored);
      const b = canonicalDecimal(wanted);
      return a !== null && b !== null && compareDecimal(a, b) === 0;
    }
    case 'real':
      return stored === shortestFloat(wanted);
    case 'double':
      return Number(stored) === Number(wanted);
    case 'boolean':
      return stored === (wanted === '1' ? 'true' : 'false');
    case 'timestamp':
    case 'timestamptz':
      return stored === canonicalKeyText(wanted, type.family);
    case 'time':
      return stored.replace(/\.?0+$/, '') === wanted.replace(/\.?0+$/, '');
    case 'json':
      try {
        return canonicalJson(JSON.parse(stored)) === canonicalJson(JSON.parse(wanted));
      } catch {
        return false;
      }
    case 'uuid':
      return stored === wanted.toLowerCase();
    default:
      return stored === wanted;
  }
}

export function prepareChange(change: RowChange, index: number, batch: WriteBatch, types: Map<string, ColumnType>, ref: RelationRef): Preparation {
  const fail = (reason: string): Preparation => ({ ok: false, reason });
  if (!change || !['insert', 'update', 'delete'].includes(change.op)) return fail('op must be insert, update or delete');
  if (!Array.isArray(change.key) || change.key.length !== batch.keyColumns.length) {
    return fail(`the key needs ${batch.keyColumns.length} value(s) (${batch.keyColumns.join(', ')})`);
  }
  const key: string[] = [];
  const keyValues: WriteValue[] = [];
  for (const [i, column] of batch.keyColumns.entries()) {
    const type = types.get(column) as ColumnType;
    let text: string | null;
    try {
      text = canonicalKeyText(change.key[i], type.family);
      if (text !== null) constantSql(text, type);
    } catch (err) {
      return fail(`key column "${column}": ${err instanceof Error ? err.message : String(err)}`);
    }
    if (text === null) return fail(`key column "${column}" cannot be NULL`);
    key.push(text);
    const stored = convertValue(text, type);
    if (!stored.ok) return fail(stored.reason);
    keyValues.push(stored.value);
  }
  const expectedProblem = expectationProblem(change, batch);
  if (expectedProblem) return fail(expectedProblem);
  const values = change.values ?? {};
  if (typeof values !== 'object' || Array.isArray(values)) return fail('values must be an object of column names');
  const base = { index, key, keyValues, expected: change.expected };
  if (change.op === 'delete') {
    return Object.keys(values).length ? fail('a delete takes no values') : { ok: true, change: { ...base, op: 'delete', columns: [], values: [] } };
  }
  const columns: string[] = [];
  const texts: WriteValue[] = [];
  for (const name of Object.keys(values).sort()) {
    const type = types.get(name);
    if (!type) return fail(`column "${name}" does not exist in ${ref.schema}.${ref.table}`);
    const keyIndex = batch.keyColumns.indexOf(name);
    if (keyIndex >= 0) {
      let same = false;
      try {
        same = canonicalKeyText(values[name], type.family) === key[keyIndex];
      } catch {
        same = false;
      }
      if (!same) return fail(`values may not change key column "${name}"; delete the row and insert it under its new key`);
      continue;
    }
    if (type.generated) return fail(`column "${name}" is generated (GENERATED ALWAYS AS ...): it cannot be written`);
    const converted = convertValue(values[name], type);
    if (!converted.ok) return fail(converted.reason);
    columns.push(name);
    texts.push(converted.value);
  }
  if (change.op === 'update' && columns.length === 0) return fail('an update needs at least one column besides the key in values');
  if (change.op === 'insert') {
    const generatedKey = batch.keyColumns.find((k) => (types.get(k) as ColumnType).generated);
    if (generatedKey) return fail(`rows cannot be inserted with their key: column "${generatedKey}" is generated`);
  }
  return { ok: true, change: { ...base, op: change.op, columns, values: texts } };
}
