import type { IntrospectedColumn } from '../sources/types.ts';

/**
 * A text value read back from a list (ingress) as the source column should hold it.
 * SharePoint stores an empty text as null, so an absent or empty list value means "empty":
 * a NOT NULL text column gets '' (NULL would violate it and '' is what was pushed), a
 * nullable one gets NULL (what SharePoint shows). A non-empty text is kept as it is.
 */
export function sourceTextFromList(value: unknown, column: Pick<IntrospectedColumn, 'nullable'>): string | null {
  if (value === null || value === undefined || value === '') return column.nullable ? null : '';
  return String(value);
}
