import { describe, expect, it } from 'vitest';
import { decodeCursor, decodeKeyCursor, encodeCursor, InvalidCursorError } from '../src/db/pagination.ts';

const cursorOf = (values: string[]) => Buffer.from(JSON.stringify(values)).toString('base64url');
const ID = '0b7a4a36-3f7e-4c55-9d0e-1c2b3a4d5e6f';

describe('cursor decoding accepts only what encodeCursor writes', () => {
  it('refuses dates PostgreSQL cannot hold or that are not in toISOString form', () => {
    for (const date of [
      '-200000-01-01T00:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '0000-01-01T00:00:00.000Z',
      '2024-02-30T00:00:00.000Z',
      '2024',
      '2024-01-01T00:00:00Z',
      'Tue, 01 Oct 2024 00:00:00 GMT',
    ]) {
      expect(() => decodeCursor(cursorOf([date, ID])), date).toThrow(InvalidCursorError);
    }
  });

  it('refuses an id that is not a UUID, and NUL anywhere', () => {
    expect(() => decodeCursor(cursorOf(['2024-01-01T00:00:00.000Z', 'x']))).toThrow(InvalidCursorError);
    expect(() => decodeKeyCursor(cursorOf(['k\u0000']))).toThrow(InvalidCursorError);
  });

  it('still reads its own cursors, at both ends of the range', () => {
    for (const createdAt of [new Date('0001-01-01T00:00:00.000Z'), new Date('9999-12-31T23:59:59.999Z'), new Date()]) {
      expect(decodeCursor(encodeCursor({ createdAt, id: ID }))).toEqual({ createdAt: createdAt.toISOString(), id: ID });
    }
  });
});
