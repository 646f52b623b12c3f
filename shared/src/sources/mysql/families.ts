import type { TypeFamily } from '../types.ts';

/*
 * MySQL/MariaDB column types as canonical families (shared/src/mapping/TYPE-MAPPING.md, "MySQL
 * and MariaDB"). Decided from information_schema.COLUMNS: DATA_TYPE (the type's name) and
 * COLUMN_TYPE (with length, `unsigned`, enum labels).
 */

const GEOMETRY = new Set([
  'geometry',
  'point',
  'linestring',
  'polygon',
  'multipoint',
  'multilinestring',
  'multipolygon',
  'geometrycollection',
  'geomcollection',
]);
const TEXT = new Set(['char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'set']);
const BYTES = new Set(['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob']);

/** The family of a column; `isJson` marks a MariaDB JSON column (longtext with a json_valid() check). */
export function familyOfMysqlType(dataType: string, columnType: string, isJson = false): TypeFamily {
  const type = dataType.toLowerCase();
  const full = columnType.toLowerCase();
  const unsigned = /\bunsigned\b/.test(full);
  if (isJson || type === 'json') return 'json';
  switch (type) {
    case 'tinyint':
      return /^tinyint\(1\)/.test(full) ? 'boolean' : 'smallint';
    case 'smallint':
      return unsigned ? 'integer' : 'smallint';
    case 'mediumint':
      return 'integer';
    case 'int':
    case 'integer':
      return unsigned ? 'bigint' : 'integer';
    case 'bigint':
      return 'bigint';
    case 'decimal':
    case 'numeric':
    case 'dec':
    case 'fixed':
      return 'numeric';
    case 'float':
      return 'real';
    case 'double':
    case 'double precision':
    case 'real':
      return 'double';
    case 'bit':
      return /^bit\(1\)$/.test(full) ? 'boolean' : 'other';
    case 'date':
      return 'date';
    case 'datetime':
      return 'timestamp';
    case 'timestamp':
      return 'timestamptz';
    case 'time':
      return 'time';
    case 'year':
      return 'integer';
    case 'enum':
      return 'enum';
    case 'uuid':
      return 'uuid';
  }
  if (TEXT.has(type)) return 'text';
  if (BYTES.has(type)) return 'bytea';
  if (GEOMETRY.has(type)) return 'other';
  return 'other';
}

export const isGeometryType = (dataType: string) => GEOMETRY.has(dataType.toLowerCase());

/** Labels of `enum('a','b''c')` (or `set(...)`) in declared order. */
export function enumLabels(columnType: string): string[] {
  const m = /^(?:enum|set)\((.*)\)$/is.exec(columnType.trim());
  if (!m) return [];
  const labels: string[] = [];
  const re = /'((?:[^'\\]|''|\\.)*)'/gs;
  for (const part of (m[1] as string).matchAll(re)) labels.push((part[1] as string).replace(/''/g, "'").replace(/\\(.)/gs, '$1'));
  return labels;
}
