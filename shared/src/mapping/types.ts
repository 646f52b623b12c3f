/** The SharePoint column kinds SyncBridge writes. `note` is multi-line text; `text` is single-line (≤ 255). */
export type SharePointColumnType =
  | 'text'
  | 'note'
  | 'number'
  | 'currency'
  | 'boolean'
  | 'dateTime'
  | 'choice'
  | 'hyperlink'
  /** Several choices: an array (or JSON array) of texts. */
  | 'multiChoice'
  /** An item of another list: its id, or the key of a row another definition syncs there (`lookupDefinitionId`). */
  | 'lookup'
  /** A user of the site: the table holds the e-mail (or display name, `personBy`). */
  | 'person';

export const SHAREPOINT_COLUMN_TYPES = [
  'text',
  'note',
  'number',
  'currency',
  'boolean',
  'dateTime',
  'choice',
  'hyperlink',
  'multiChoice',
  'lookup',
  'person',
] as const satisfies readonly SharePointColumnType[];

export type Transform = { op: 'trim' } | { op: 'upper' } | { op: 'lower' } | { op: 'regex_replace'; pattern: string; flags?: string; replacement: string };

export interface FieldMappingSpec {
  sourceColumn: string;
  /** SharePoint internal column name. */
  targetColumn: string;
  targetType: SharePointColumnType;
  /**
   * Per-type options (all optional), see TYPE-MAPPING.md:
   * text: maxLength; note: maxLength; number/currency: decimalPlaces, rounding ('exact' | 'nearest'), locale (currency);
   * dateTime: format ('dateOnly' | 'dateTime'); choice, multiChoice: choices, allowTextEntry; bytea: maxBytes; hyperlink: description;
   * lookup: lookupListId, lookupColumnName (provisioning), lookupDefinitionId (the value is that definition's row key);
   * person: personBy ('email' | 'displayName');
   * any: displayName, indexed.
   */
  converterOptions: Record<string, unknown>;
  transforms: Transform[];
  direction: 'push' | 'ingress' | 'both';
}

/** A problem with a definition, addressed by a path such as `mappings[2].targetColumn`. */
export interface ValidationIssue {
  field: string;
  message: string;
}

export type ConvertResult = { ok: true; fields: Record<string, unknown> } | { ok: false; column: string; reason: string };

export type RoutingValue = string | number | boolean | null;

export type RoutingRule =
  | { all: RoutingRule[] }
  | { any: RoutingRule[] }
  | { not: RoutingRule }
  | { column: string; op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte'; value: RoutingValue }
  | { column: string; op: 'in' | 'not_in'; values: RoutingValue[] };

export interface RoutingTarget {
  id: string;
  routingRule: RoutingRule | null;
  priority: number;
  isDefault: boolean;
}

export type KeyStrategy = 'pk' | 'unique' | 'composite';
export type CursorStrategy = 'updated_at' | 'full_scan' | 'logical_replication';
