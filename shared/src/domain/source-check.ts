import { validateCursor, validateKeyStrategy, type ValidationIssue } from '../mapping/index.ts';
import { findTable, type IntrospectedTable, type SchemaSnapshot } from '../sources/index.ts';
import type { DefinitionRow } from './definition-context.ts';

/*
 * Does a definition fit its source table as introspected now? One rule for the API (which
 * answers 422 naming the fields) and for operations (which fail with SchemaMismatch).
 */

type Checked = Pick<DefinitionRow, 'sourceSchema' | 'sourceTable' | 'keyStrategy' | 'keyColumns' | 'cursorStrategy' | 'cursorColumn'>;

export interface SourceCheck {
  table: IntrospectedTable | undefined;
  /** Fields as the definition names them (sourceTable, keyColumns, cursorColumn, ...). */
  issues: ValidationIssue[];
}

export function checkDefinitionSource(snapshot: SchemaSnapshot, d: Checked, where: string): SourceCheck {
  const table = findTable(snapshot, d.sourceSchema, d.sourceTable);
  if (!table)
    return {
      table,
      issues: [{ field: 'sourceTable', message: `table ${d.sourceSchema}.${d.sourceTable} does not exist on ${where} (or its user cannot see it)` }],
    };
  if (table.kind === 'partition') {
    // Rows are read from the partitioned table (which reads every partition); a partition alone would lose rows that move between partitions.
    const root = table.partitionRoot ?? table.partitionOf ?? 'its partitioned table';
    const via = table.partitionRoot && table.partitionOf && table.partitionRoot !== table.partitionOf ? ` (itself a partition of ${table.partitionRoot})` : '';
    return {
      table,
      issues: [
        {
          field: 'sourceTable',
          message: `${table.schema}.${table.name} is a partition of ${table.partitionOf ?? root}${via}; sync the partitioned table ${root} instead`,
        },
      ],
    };
  }
  return { table, issues: [...validateKeyStrategy(table, d.keyStrategy, d.keyColumns), ...validateCursor(table, d.cursorStrategy, d.cursorColumn)] };
}
