/*
 * Who wins when a row and its list item both changed since the last sync of that row
 * (`sync_definitions.conflict_policy`):
 * - source_wins: the table's version stays; push sends it to the list on its next run;
 * - sharepoint_wins: the list's version is written to the table;
 * - latest_wins: the later change wins: the item's lastModifiedDateTime against the row's
 *   watermark (the definition's cursor column). A tie, or a side without a time (no cursor
 *   column, an item without lastModifiedDateTime), goes to the source: the table is the
 *   system of record unless the list is provably newer;
 * - manual: neither is written; both versions are kept in the conflicts table for a person.
 */

export type ConflictPolicy = 'source_wins' | 'sharepoint_wins' | 'latest_wins' | 'manual';
export type ConflictWinner = 'source' | 'list' | 'manual';

function timeOf(value: unknown): number | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.getTime();
  if (typeof value === 'string') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? null : t;
  }
  return null;
}

export function decideConflict(policy: ConflictPolicy, sides: { itemModified: string | null; rowWatermark: unknown }): ConflictWinner {
  switch (policy) {
    case 'sharepoint_wins':
      return 'list';
    case 'manual':
      return 'manual';
    case 'latest_wins': {
      const item = timeOf(sides.itemModified);
      const row = timeOf(sides.rowWatermark);
      return item !== null && row !== null && item > row ? 'list' : 'source';
    }
    default:
      return 'source';
  }
}
