import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, decodeKeyCursor, encodeCursor, encodeKeyCursor, InvalidCursorError, toPage } from '../src/db/pagination.ts';

describe('keyset cursors', () => {
  it('round-trip any row position', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true }), fc.uuid(), (createdAt, id) => {
        expect(decodeCursor(encodeCursor({ createdAt, id }))).toEqual({ createdAt: createdAt.toISOString(), id });
      }),
    );
  });

  it('reject anything that is not a cursor', () => {
    for (const bad of ['', 'garbage', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["nodate","x"]').toString('base64url')]) {
      expect(() => decodeCursor(bad)).toThrow(InvalidCursorError);
    }
  });

  it('round-trip any source key, in the same format', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (key) => {
        expect(decodeKeyCursor(encodeKeyCursor(key))).toBe(key);
      }),
    );
  });

  it('refuse a cursor of a list with another ordering', () => {
    const rowCursor = encodeCursor({ createdAt: new Date(0), id: 'x' });
    expect(() => decodeKeyCursor(rowCursor)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(encodeKeyCursor('k'))).toThrow(InvalidCursorError);
    expect(() => decodeKeyCursor('not-a-cursor')).toThrow(InvalidCursorError);
  });

  it('split off the extra row to signal a next page', () => {
    const rows = [1, 2, 3].map((n) => ({ id: `id-${n}`, createdAt: new Date(n) }));
    expect(toPage(rows, 2)).toEqual({ items: rows.slice(0, 2), nextCursor: encodeCursor(rows[1]!) });
    expect(toPage(rows, 3).nextCursor).toBeNull();
  });
});
