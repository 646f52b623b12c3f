import type { RelationRef } from './reads.ts';

/*
 * The write path (ingress: list edits back into the table), the same for every engine.
 *
 * A batch is applied in one transaction with multi-row statements. Each change names its row
 * by key (canonical key texts, as the readers return them) and may carry an optimistic check:
 * what the caller last saw of the row. The rows a batch touches are locked first, the checks
 * are decided against the locked rows, then the changes that pass are written; so a row cannot
 * change between its check and its write. Every change gets an outcome, in input order.
 */

/**
 * A value to write, converted to the column's type by the engine (text in, cast in SQL, so the
 * stored value is exact). Per family:
 * - text, enum, uuid, time, interval, other: a string (numbers and booleans are printed);
 * - smallint/integer/bigint: an integer as number (safe integers only), bigint or decimal string;
 * - numeric: a finite number, bigint or decimal string ('NaN', 'Infinity' where the engine has them);
 * - real/double: a number (NaN, ±Infinity) or decimal string;
 * - boolean: true/false, or 't'/'f'/'true'/'false'/'yes'/'no'/'on'/'off'/'1'/'0';
 * - date: 'YYYY-MM-DD', or a Date / ISO 8601 text at midnight UTC (SharePoint's date-only form);
 * - timestamp (without time zone): ISO 8601 text or a Date; a text with an offset is moved to UTC;
 * - timestamptz: ISO 8601 text (no offset = UTC) or a Date;
 * - json/jsonb: JSON text (a string is taken as JSON text, never as a JSON string), or any other
 *   value, serialised;
 * - array: a JavaScript array of element values (by the element's family), or JSON array text;
 * - bytea: Buffer/Uint8Array, `\x` + hex text, or base64 text (the list's form);
 * - null: SQL NULL.
 * Canonical texts, as readers return them with `canonical: true`, are accepted for every family.
 */
export type SourceValue = null | string | number | bigint | boolean | Date | Uint8Array | readonly unknown[] | { readonly [key: string]: unknown };

/**
 * What the caller last saw of the row:
 * - `absent`: no row with this key (the natural check of an insert; the default for inserts);
 * - `version`: the canonical text of the batch's `versionColumn` (e.g. the watermark column
 *   as the push read it), null for a NULL version;
 * - `rowHash`: sourceRowHash over the batch's `hashColumns`, as a reader returned it (`hashColumns` option).
 */
export type WriteExpectation = { absent: true } | { version: string | null } | { rowHash: string };

export interface RowChange {
  op: 'insert' | 'update' | 'delete';
  /** Canonical key texts, one per key column. */
  key: readonly unknown[];
  /** Columns to set (insert, update). Key columns may appear only with their key's value (keys never change: delete and insert). */
  values?: Readonly<Record<string, SourceValue>>;
  /** The optimistic check; without it an update or delete is unconditional. */
  expected?: WriteExpectation;
}

export interface WriteBatch extends RelationRef {
  keyColumns: string[];
  /** The column `expected.version` refers to; also returned with each outcome. */
  versionColumn?: string;
  /** The columns `expected.rowHash` covers; the new hash is returned with each applied change. */
  hashColumns?: string[];
  changes: RowChange[];
  /**
   * The inserts' keys came from the key column's own sequence (SourceSession.reserveKeys): they
   * are written even where the column refuses given values (PostgreSQL GENERATED ALWAYS AS
   * IDENTITY, by OVERRIDING SYSTEM VALUE).
   */
  reservedKeys?: boolean;
}

/** The row as it is now, with the columns the batch names (keys, values, version and hash columns), as driver values. */
export interface CurrentRow {
  key: string[];
  values: Record<string, unknown>;
  version?: string | null;
  rowHash?: string;
}

export type ChangeOutcome =
  | {
      status: 'applied';
      /** The row already was as the change wanted it (a retried batch); nothing was written. */
      alreadyApplied?: true;
      /** After the write: the version column's canonical text and the row hash, when the batch names them. */
      version?: string | null;
      rowHash?: string;
    }
  /** The check failed: the row is not what the caller last saw. `current` is null when no row has the key. */
  | { status: 'conflict'; current: CurrentRow | null }
  /** Never written: the change or a value is invalid, or the database refused the row (a constraint, a trigger). */
  | { status: 'rejected'; reason: string };

export interface WriteResult {
  /** One per change, in input order. */
  outcomes: ChangeOutcome[];
  counts: { applied: number; conflict: number; rejected: number };
  /** SQL statements the batch took (multi-row: a few per batch, plus two per row the database refused). */
  statements: number;
}

/** The largest batch applyChanges takes. */
export const MAX_WRITE_BATCH = 5_000;

export interface WritableParams extends RelationRef {
  keyColumns: string[];
  /** The operations the caller will use (all three by default): each needs its privilege. */
  ops?: ReadonlyArray<RowChange['op']>;
}

export type Writability = { writable: true } | { writable: false; reason: string };

export function countOutcomes(outcomes: readonly ChangeOutcome[]): WriteResult['counts'] {
  const counts = { applied: 0, conflict: 0, rejected: 0 };
  for (const o of outcomes) counts[o.status]++;
  return counts;
}
