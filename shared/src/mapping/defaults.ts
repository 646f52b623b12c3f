import type { IntrospectedColumn, IntrospectedTable, TypeFamily } from '../sources/types.ts';
import { deriveInternalName } from './names.ts';
import { defaultTargetType } from './rules.ts';
import { sensitiveColumnReason } from './sensitive.ts';
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

export interface ProposeOptions {
  /** Source columns to leave out. Wins over includeSensitive. */
  exclude?: string[];
  /** The definition's key columns (default: the primary key). They are always proposed, even when they look sensitive. */
  keyColumns?: string[];
  /** Sensitive-looking columns to propose anyway, push-only and with a warning: their names, or true for all. */
  includeSensitive?: boolean | string[];
}

export interface SensitiveColumn {
  sourceColumn: string;
  reason: string;
  /** Part of the key: proposed whatever the options, since every item needs it. */
  key: boolean;
  /** In the proposal's items (a key column, or opted in). */
  proposed: boolean;
}

export interface MappingProposal {
  items: Array<{ mapping: FieldMappingSpec; warnings: string[] }>;
  /** Every column that looks like a secret, proposed or not, in column order. */
  sensitive: SensitiveColumn[];
}

/**
 * One mapping per column (minus `exclude` and, unless opted in, columns that look like
 * secrets: see sensitive.ts), in column order, with the default type of its family (see
 * TYPE-MAPPING.md) and an internal name derived from the column name. Title is never
 * proposed: SharePoint's own Title column is used only when a mapping names it.
 */
export function proposeMappings(table: IntrospectedTable, opts: ProposeOptions = {}): MappingProposal {
  const exclude = new Set(opts.exclude ?? []);
  const keys = new Set(opts.keyColumns ?? table.primaryKey?.columns ?? []);
  const optedIn = (name: string) => opts.includeSensitive === true || (Array.isArray(opts.includeSensitive) && opts.includeSensitive.includes(name));
  const taken = new Set<string>();
  const proposal: MappingProposal = { items: [], sensitive: [] };
  for (const column of [...table.columns].sort((a, b) => a.ordinal - b.ordinal)) {
    if (exclude.has(column.name)) continue;
    const reason = sensitiveColumnReason(column);
    const key = keys.has(column.name);
    if (reason) proposal.sensitive.push({ sourceColumn: column.name, reason, key, proposed: key || optedIn(column.name) });
    if (reason && !key && !optedIn(column.name)) continue;
    const mapping: FieldMappingSpec = {
      sourceColumn: column.name,
      targetColumn: deriveInternalName(column.name, taken),
      targetType: defaultTargetType(column),
      converterOptions: {},
      transforms: [],
      // An edit in SharePoint must never overwrite a secret in the source.
      direction: reason ? 'push' : defaultDirection(column, table),
    };
    proposal.items.push({ mapping, warnings: reason ? [sensitiveWarning(reason, key)] : [] });
  }
  return proposal;
}

function sensitiveWarning(reason: string, key: boolean): string {
  const readers = 'everyone who can read the list sees its values';
  return key
    ? `${reason}; it is part of the key, so it is synced anyway (its values are also in SyncBridgeKey, and in Title unless a mapping writes Title): ${readers}`
    : `${reason}; it is synced because you opted in, push-only so an edit in SharePoint never writes it back: ${readers}`;
}

/** The mappings of proposeMappings, as provisioning persists them when a definition has none. */
export function proposeDefaultMappings(table: IntrospectedTable, opts: ProposeOptions = {}): FieldMappingSpec[] {
  return proposeMappings(table, opts).items.map((i) => i.mapping);
}
