import { and, asc, desc, eq, gt, lt, or, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * Keyset pagination: stable while rows are inserted, no OFFSET scans. Every cursor
 * has one format, opaque to clients: base64url JSON of the last row's position, an
 * array of strings with one entry per ordering column, (created_at, id) for most
 * lists, (source key) for the ledger. A cursor of one list given to a list with
 * another ordering has the wrong arity and is refused like any other bad cursor.
 */
export interface PageCursor {
  createdAt: string;
  id: string;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

const invalid = () => new InvalidCursorError('cursor is not a value returned by this API as nextCursor');

function encodePosition(values: string[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodePosition(cursor: string, arity: number): string[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // No NUL: PostgreSQL text cannot hold one, so the query would fail (22021) rather than find nothing.
    if (Array.isArray(parsed) && parsed.length === arity && parsed.every((v) => typeof v === 'string' && !v.includes('\u0000'))) return parsed as string[];
  } catch {
    // fall through to the error below
  }
  throw invalid();
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return encodePosition([row.createdAt.toISOString(), row.id]);
}

/** What encodeCursor writes: Date#toISOString() of a year PostgreSQL and JavaScript both hold (0001-9999), and a row id. */
const CURSOR_DATE = /^(?!0000)\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ROW_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function decodeCursor(cursor: string): PageCursor {
  const [createdAt, id] = decodePosition(cursor, 2) as [string, string];
  // Only the exact text encodeCursor produces: Date.parse alone accepts dates PostgreSQL cannot
  // store (year -200000, +275760), which made the list query fail with a 500, and rolls over
  // impossible ones (2024-02-30). A non-UUID id would fail the uuid comparison the same way.
  if (!CURSOR_DATE.test(createdAt) || new Date(createdAt).toISOString() !== createdAt || !ROW_ID.test(id)) throw invalid();
  return { createdAt, id };
}

/** Cursor over a unique text key (the ledger's source key, unique per definition). */
export function encodeKeyCursor(key: string): string {
  return encodePosition([key]);
}

export function decodeKeyCursor(cursor: string): string {
  return decodePosition(cursor, 1)[0]!;
}

export function keysetAfter(columns: { createdAt: PgColumn; id: PgColumn }, cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const c = decodeCursor(cursor);
  const at = new Date(c.createdAt);
  return or(gt(columns.createdAt, at), and(eq(columns.createdAt, at), gt(columns.id, c.id)));
}

export function keysetOrder(columns: { createdAt: PgColumn; id: PgColumn }) {
  return [asc(columns.createdAt), asc(columns.id)];
}

/** Newest-first pages (runs, events): rows strictly before the cursor's row. */
export function keysetBefore(columns: { createdAt: PgColumn; id: PgColumn }, cursor: string | undefined): SQL | undefined {
  if (!cursor) return undefined;
  const c = decodeCursor(cursor);
  const at = new Date(c.createdAt);
  return or(lt(columns.createdAt, at), and(eq(columns.createdAt, at), lt(columns.id, c.id)));
}

export function keysetOrderNewestFirst(columns: { createdAt: PgColumn; id: PgColumn }) {
  return [desc(columns.createdAt), desc(columns.id)];
}

/** Takes limit+1 rows and splits off the extra one to know whether there is a next page; `cursorOf` encodes the last row's position. */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (row: T) => string): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? cursorOf(last) : null };
}

/** pageOf for lists ordered by (created_at, id). */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  return pageOf(rows, limit, encodeCursor);
}
