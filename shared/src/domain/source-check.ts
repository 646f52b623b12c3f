import { softDeleteProblem, validateCursor, validateKeyStrategy, type ValidationIssue } from '../mapping/index.ts';
import { cursorIndexed, findTable, newKeySourceOf, readOnlyReason, type IntrospectedTable, type SchemaSnapshot } from '../sources/index.ts';
import type { DefinitionRow } from './definition-context.ts';

/*
 * Does a definition fit its source table as introspected now? One rule for the API (which
 * answers 422 naming the fields) and for operations (which fail with SchemaMismatch).
 */

type Checked = Pick<DefinitionRow, 'sourceSchema' | 'sourceTable' | 'keyStrategy' | 'keyColumns' | 'cursorStrategy' | 'cursorColumn'> & {
  softDeleteColumn?: string | null | undefined;
  newItemKeys?: DefinitionRow['newItemKeys'] | undefined;
};

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
  const issues = [...validateKeyStrategy(table, d.keyStrategy, d.keyColumns), ...validateCursor(table, d.cursorStrategy, d.cursorColumn)];
  if (d.softDeleteColumn) {
    const problem = softDeleteProblem(
      table.columns.find((c) => c.name === d.softDeleteColumn),
      d.keyColumns,
      d.softDeleteColumn,
    );
    if (problem) issues.push({ field: 'softDeleteColumn', message: problem });
  }
  if (d.newItemKeys === 'generate') {
    const keys = newKeySourceOf(snapshot.engine, table, d.keyColumns);
    if (keys.kind === 'none') issues.push({ field: 'newItemKeys', message: keys.problem });
  }
  return { table, issues };
}

/** Something that works but that the user should know: the definition is saved anyway. */
export interface SourceWarning {
  /** The definition field concerned (cursorColumn, direction). */
  field: string;
  code: 'cursor_not_indexed' | 'ingress_not_possible';
  message: string;
}

/**
 * Where the source makes a valid definition slower or narrower than it looks: a watermark
 * column no index starts with (each incremental run scans the whole table), and ingress asked
 * of a relation SyncBridge only reads (a view, a non-transactional table).
 */
export function definitionWarnings(
  table: IntrospectedTable,
  d: Pick<DefinitionRow, 'cursorStrategy' | 'cursorColumn' | 'keyColumns'> & { direction?: DefinitionRow['direction'] | undefined },
): SourceWarning[] {
  const warnings: SourceWarning[] = [];
  const name = `${table.schema}.${table.name}`;
  if (d.cursorStrategy === 'updated_at' && d.cursorColumn && table.columns.some((c) => c.name === d.cursorColumn) && !cursorIndexed(table, d.cursorColumn)) {
    warnings.push({
      field: 'cursorColumn',
      code: 'cursor_not_indexed',
      message: `no index of ${name} starts with "${d.cursorColumn}": every incremental run reads the whole table to find changed rows; an index on (${[d.cursorColumn, ...d.keyColumns].join(', ')}) serves the reads`,
    });
  }
  const readOnly = readOnlyReason(table);
  if (readOnly && (d.direction === 'ingress' || d.direction === 'both')) {
    warnings.push({ field: 'direction', code: 'ingress_not_possible', message: `${readOnly}; only the push side of this definition will run` });
  }
  return warnings;
}
