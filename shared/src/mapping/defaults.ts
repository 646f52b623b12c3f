import type { IntrospectedColumn, IntrospectedTable, TypeFamily } from '../sources/types.ts';
import { deriveInternalName } from './names.ts';
import { defaultTargetType } from './rules.ts';
import type { FieldMappingSpec } from './types.ts';

/** Families whose SharePoint form cannot be written back into the column without loss or guessing. */
const PUSH_ONLY_FAMILIES: ReadonlySet<TypeFamily> = new Set(['bytea', 'json', 'jsonb', 'array', 'interval', 'other']);

/** Default direction: 'both' only where a value edited in SharePoint can go back into the column. */
function defaultDirection(column: IntrospectedColumn, table: IntrospectedTable): FieldMappingSpec['direction'] {
  if (column.generated || column.identity === 'always') return 'push';
  // Keys identify the row; an edit in SharePoint must not re-key it.
  if (table.primaryKey?.columns.includes(column.name)) return 'push';
  return PUSH_ONLY_FAMILIES.has(column.typeFamily) ? 'push' : 'both';
}

/**
 * One mapping per column (minus `exclude`), in column order, with the default type of its
 * family (see TYPE-MAPPING.md) and an internal name derived from the column name. Title is
 * never proposed: SharePoint's own Title column is used only when a mapping names it.
 */
export function proposeDefaultMappings(table: IntrospectedTable, opts: { exclude?: string[] } = {}): FieldMappingSpec[] {
  const exclude = new Set(opts.exclude ?? []);
  const taken = new Set<string>();
  return [...table.columns]
    .sort((a, b) => a.ordinal - b.ordinal)
    .filter((c) => !exclude.has(c.name))
    .map((column) => ({
      sourceColumn: column.name,
      targetColumn: deriveInternalName(column.name, taken),
      targetType: defaultTargetType(column),
      converterOptions: {},
      transforms: [],
      direction: defaultDirection(column, table),
    }));
}
