import { createHash } from 'node:crypto';
import { canonicalJson } from '../mapping/json.ts';
import type { IntrospectedTable, SchemaSnapshot } from './types.ts';

/**
 * The schema-relevant part of a table: everything introspection reports except planner
 * statistics (`estimatedRows` moves with every ANALYZE without the schema changing).
 */
function schemaOf(table: IntrospectedTable): Omit<IntrospectedTable, 'estimatedRows'> {
  const { estimatedRows: _statistics, ...rest } = table;
  return rest;
}

/**
 * SHA-256 (hex) of a snapshot's tables in canonical form: tables ordered by schema and name,
 * object keys sorted, statistics left out. Equal fingerprints mean the source's schema looked
 * the same; capture time, server version and row estimates do not take part.
 */
export function snapshotFingerprint(snapshot: Pick<SchemaSnapshot, 'tables'>): string {
  const tables = [...snapshot.tables]
    .sort((a, b) => (a.schema === b.schema ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.schema < b.schema ? -1 : 1))
    .map(schemaOf);
  return createHash('sha256').update(canonicalJson(tables)).digest('hex');
}
