import { and, asc, desc, eq, gt, lt, or, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * Keyset pagination over (created_at, id): stable while rows are inserted, no
 * OFFSET scans. The cursor is opaque to clients (base64url JSON).
 */
export interface PageCursor {
  createdAt: string;
  id: string;
}

export class InvalidCursorError extends Error {
  override name = 'InvalidCursorError';
}

export function encodeCursor(row: { createdAt: Date; id: string }): string {
  return Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');
}

export function decodeCursor(cursor: string): PageCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2 && typeof parsed[0] === 'string' && typeof parsed[1] === 'string') {
      if (!Number.isNaN(Date.parse(parsed[0]))) return { createdAt: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new InvalidCursorError('cursor is not a value returned by this API as nextCursor');
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

/** Takes limit+1 rows and splits off the extra one to know whether there is a next page. */
export function toPage<T extends { createdAt: Date; id: string }>(rows: T[], limit: number): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
