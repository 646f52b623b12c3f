import type { IntrospectedTable, SchemaSnapshot } from './types.ts';

/** Looks up one table in a snapshot. */
export function findTable(snapshot: Pick<SchemaSnapshot, 'tables'>, schema: string, table: string): IntrospectedTable | undefined {
  return snapshot.tables.find((t) => t.schema === schema && t.name === table);
}
