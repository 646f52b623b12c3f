/** The SharePoint column kinds SyncBridge writes. `note` is multi-line text; `text` is single-line (≤ 255). */
export type SharePointColumnType = 'text' | 'note' | 'number' | 'currency' | 'boolean' | 'dateTime' | 'choice' | 'hyperlink';

export const SHAREPOINT_COLUMN_TYPES: readonly SharePointColumnType[] = ['text', 'note', 'number', 'currency', 'boolean', 'dateTime', 'choice', 'hyperlink'];

export type Transform = { op: 'trim' } | { op: 'upper' } | { op: 'lower' } | { op: 'regex_replace'; pattern: string; flags?: string; replacement: string };

export interface FieldMappingSpec {
  sourceColumn: string;
  /** SharePoint internal column name. */
  targetColumn: string;
  targetType: SharePointColumnType;
  /**
   * Per-type options (all optional), see TYPE-MAPPING.md:
   * text: maxLength; note: maxLength; number/currency: decimalPlaces, rounding ('exact' | 'nearest'), locale (currency);
   * dateTime: format ('dateOnly' | 'dateTime'); choice: choices; bytea: maxBytes; hyperlink: description;
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
export type CursorStrategy = 'updated_at' | 'full_scan';
