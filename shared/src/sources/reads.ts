/*
 * What a session's readers take and give, the same for every engine.
 *
 * Positions (keys and watermarks) are canonical texts (shared/src/mapping/canonical.ts): the
 * database's own text of the value, normalised, so they survive JSON, the meta-store and
 * Temporal without loss and a key read from a row finds exactly that row again.
 *
 * Row values come in one of two forms:
 * - driver values (the default), the same JavaScript types whatever the engine, by family:
 *   smallint/integer/real/double: number (NaN and ±Infinity included); bigint/numeric: string
 *   with every digit; boolean: boolean; date/timestamp/timestamptz: Date (UTC; a date is midnight
 *   UTC; a timestamp without time zone is read as UTC; milliseconds only); json/jsonb: the parsed
 *   value; array: an array of element values by the same rules, NULL elements as null; bytea:
 *   Buffer; everything else (text, enum, uuid, time, interval, other): string. This is what the
 *   converters (shared/src/mapping) expect.
 * - canonical texts (`canonical: true`): each value's lossless canonical text (timestamps keep
 *   every fractional digit, arrays are JSON arrays of element texts). Written back with
 *   applyChanges, they give exactly the same stored value.
 */

export interface RelationRef {
  schema: string;
  table: string;
}

/** Options every row reader accepts. */
export interface RowReadOptions {
  /** Return the requested columns as canonical texts instead of driver values (see above). */
  canonical?: boolean;
  /** Also return each row's hash over these columns (sourceRowHash): what applyChanges compares `expected.rowHash` with. */
  hashColumns?: string[];
}

/** The largest page a reader returns. */
export const MAX_READ_LIMIT = 50_000;

export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_READ_LIMIT) throw new RangeError(`limit must be an integer between 1 and ${MAX_READ_LIMIT}`);
  return limit;
}

export interface KeyPage {
  /** Requested columns only. */
  rows: Record<string, unknown>[];
  /** Per row: the canonical text of its key columns (feed to encodeSourceKey). */
  keys: string[][];
  /** Per row, when `hashColumns` was given: its row hash. */
  hashes?: string[];
  /** The last row's key, to pass back as `afterKey`; null when the page is empty. */
  lastKey: string[] | null;
  /** The page is full, so another may follow (an exactly full last page reads one more, empty page). */
  hasMore: boolean;
}

export interface ReadByKeyParams extends RelationRef, RowReadOptions {
  columns: string[];
  keyColumns: string[];
  afterKey: unknown[] | null;
  limit: number;
}

export interface ReadByKeysParams extends RelationRef, RowReadOptions {
  columns: string[];
  keyColumns: string[];
  keys: unknown[][];
}

export interface KeysRead {
  rows: Record<string, unknown>[];
  keys: string[][];
  hashes?: string[];
}

export interface KeysPresentParams extends RelationRef {
  keyColumns: string[];
  /** Canonical key texts (as the readers return them, or decoded from the ledger). */
  keys: string[][];
  /**
   * The soft-delete mark (a boolean, or a date/timestamp column): a row whose mark is set (true,
   * or any date) counts as gone.
   */
  softDeleteColumn?: string | null;
}

export type CountParams = RelationRef;

export interface CountAfterParams extends RelationRef {
  /** Count rows whose cursor is past this watermark; all rows when cursorColumn or watermark is null. */
  cursorColumn: string | null;
  watermark: string | null;
  /** Give up (null) rather than scan for longer than this: the count is for a progress estimate. */
  timeoutMs: number;
}

/** A position in the watermark stream. `watermark: null` = inside the group of rows whose cursor is NULL. */
export interface WatermarkPosition {
  watermark: string | null;
  key: string[];
}

export interface ReadByWatermarkParams extends RelationRef, RowReadOptions {
  columns: string[];
  cursorColumn: string;
  keyColumns: string[];
  /**
   * Where the previous page ended (its `last`), or null to start from the beginning.
   * `{ watermark: w, key: [] }` (or `key: null`) reads every row with cursor > w, e.g. after rewindWatermark.
   * `{ watermark: null, key: [...] }` is a position inside the NULL-cursor group: pass it back as is,
   * it is not the same as `after: null` (which starts over).
   */
  after: { watermark: string | null; key: unknown[] | null } | null;
  limit: number;
}

export interface WatermarkPage {
  rows: Record<string, unknown>[];
  keys: string[][];
  hashes?: string[];
  /** Per row: the cursor's exact text, null for rows whose cursor is NULL. */
  watermarks: Array<string | null>;
  last: WatermarkPosition | null;
  hasMore: boolean;
}

export interface CursorParams extends RelationRef {
  cursorColumn: string;
}

/** Keys for new rows, taken from the key column's sequence before the rows are written (new-keys.ts). */
export interface ReserveKeysParams extends RelationRef {
  column: string;
  /** How many keys, 1..MAX_READ_LIMIT. */
  count: number;
}
