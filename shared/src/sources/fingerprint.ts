import { createHash } from 'node:crypto';
import { canonicalJson } from '../mapping/json.ts';
import type { IntrospectedTable, SchemaSnapshot } from './types.ts';

/**
 * The schema-relevant part of a table: everything introspection reports except planner
 * statistics (`estimatedRows`, `rowEstimate` move with every ANALYZE without the schema
 * changing) and `uniqueKeys` (derived from keys and indexes, which are included); an empty
 * `foreignKeys` counts as absent. A partition
 * counts only as its place in the tree: its columns mirror its parent's, so a change there
 * would otherwise count once per partition.
 */
function schemaOf(table: IntrospectedTable): Partial<IntrospectedTable> {
  if (table.kind === 'partition') {
    const { schema, name, kind, partitionOf, partitionRoot, partitionBound, partitions } = table;
    return { schema, name, kind, partitionOf, partitionRoot, partitionBound, partitions };
  }
  const { estimatedRows: _statistics, rowEstimate: _estimate, uniqueKeys: _derived, foreignKeys, ...rest } = table;
  // Snapshots from before foreign keys were recorded have none: an unchanged table without any keeps its fingerprint.
  return foreignKeys?.length ? { ...rest, foreignKeys } : rest;
}

/**
 * SHA-256 (hex) of a snapshot's tables in canonical form: tables ordered by schema and name,
 * object keys sorted, statistics and derived lists left out. Equal fingerprints mean the source's schema looked
 * the same; capture time, server version and row estimates do not take part.
 */
export function snapshotFingerprint(snapshot: Pick<SchemaSnapshot, 'tables'>): string {
  const tables = [...snapshot.tables]
    .sort((a, b) => (a.schema === b.schema ? (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) : a.schema < b.schema ? -1 : 1))
    .map(schemaOf);
  return createHash('sha256').update(canonicalJson(tables)).digest('hex');
}
