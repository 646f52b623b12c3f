import type { IntrospectedColumn, TypeFamily } from '../sources/types.ts';
import type { SharePointColumnType } from './types.ts';

/** Single line of text holds at most 255 characters. */
export const TEXT_MAX_LENGTH = 255;
/** Multiple lines of text (plain) holds at most 63,999 characters in a list. */
export const NOTE_MAX_LENGTH = 63_999;
/** Choice values are single-line text. */
export const CHOICE_MAX_LENGTH = 255;
/** Hyperlink URLs are limited to 255 characters. */
export const URL_MAX_LENGTH = 255;
/** Largest bytea that still fits a note as base64 (4 characters per 3 bytes). */
export const DEFAULT_MAX_BYTES = Math.floor(NOTE_MAX_LENGTH / 4) * 3;
/** Largest integer magnitude a SharePoint number (a double) holds exactly. */
export const MAX_EXACT_INTEGER = '9007199254740992';

/** Which SharePoint column types each family can convert to (first = default where no rule below applies). */
export const ALLOWED_TARGETS: Record<TypeFamily, readonly SharePointColumnType[]> = {
  text: ['text', 'note', 'choice', 'hyperlink', 'number', 'currency', 'boolean', 'dateTime', 'person', 'lookup'],
  smallint: ['number', 'currency', 'text', 'note', 'lookup'],
  integer: ['number', 'currency', 'text', 'note', 'lookup'],
  bigint: ['number', 'currency', 'text', 'note', 'lookup'],
  numeric: ['number', 'currency', 'text', 'note'],
  real: ['number', 'currency', 'text', 'note'],
  double: ['number', 'currency', 'text', 'note'],
  boolean: ['boolean', 'text', 'note'],
  date: ['dateTime', 'text', 'note'],
  timestamp: ['dateTime', 'text', 'note'],
  timestamptz: ['dateTime', 'text', 'note'],
  time: ['text', 'note'],
  uuid: ['text', 'note', 'lookup'],
  json: ['note', 'text', 'multiChoice', 'lookup', 'person'],
  jsonb: ['note', 'text', 'multiChoice', 'lookup', 'person'],
  array: ['note', 'text', 'multiChoice', 'lookup', 'person'],
  enum: ['choice', 'text', 'note'],
  bytea: ['note', 'text'],
  interval: ['text', 'note'],
  other: ['note', 'text'],
};

/** Target types whose value is a string built from the source's text form. */
export const TEXTUAL_TARGETS: ReadonlySet<SharePointColumnType> = new Set(['text', 'note', 'choice', 'hyperlink']);

/** Families whose driver value is a string in its own right (transforms may apply before parsing). */
export const STRING_FAMILIES: ReadonlySet<TypeFamily> = new Set(['text', 'enum', 'uuid', 'time', 'interval', 'other']);

/** Families whose text can exceed 255 characters with no declared bound. */
export function isUnboundedText(column: IntrospectedColumn): boolean {
  if (column.typeFamily === 'text') return column.maxLength === null || column.maxLength > TEXT_MAX_LENGTH;
  return column.typeFamily === 'json' || column.typeFamily === 'jsonb' || column.typeFamily === 'array' || column.typeFamily === 'bytea';
}

/** The default SharePoint type of a column (see TYPE-MAPPING.md). */
export function defaultTargetType(column: IntrospectedColumn): SharePointColumnType {
  switch (column.typeFamily) {
    case 'text':
      return isUnboundedText(column) ? 'note' : 'text';
    case 'time':
    case 'uuid':
    case 'interval':
      return 'text';
    default:
      return ALLOWED_TARGETS[column.typeFamily][0] as SharePointColumnType;
  }
}

const DECIMAL_WORDS = ['none', 'one', 'two', 'three', 'four', 'five'] as const;

/** Graph numberColumn.decimalPlaces for a column: integers "none", numeric(p,s≤5) the word for s, else "automatic". */
export function decimalPlacesFor(column: IntrospectedColumn, override?: unknown): string {
  if (typeof override === 'string') return override;
  if (typeof override === 'number' && Number.isInteger(override) && override >= 0 && override <= 5) return DECIMAL_WORDS[override] as string;
  if (column.typeFamily === 'smallint' || column.typeFamily === 'integer' || column.typeFamily === 'bigint') return 'none';
  if (column.typeFamily === 'numeric' && column.numericScale !== null && column.numericScale >= 0 && column.numericScale <= 5) {
    return DECIMAL_WORDS[column.numericScale] as string;
  }
  return 'automatic';
}

export const DECIMAL_PLACES_VALUES: readonly string[] = ['automatic', ...DECIMAL_WORDS];
