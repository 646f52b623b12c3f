import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/mapping/hash.ts';

describe('contentHash', () => {
  it('ignores key order and normalises -0 and Dates (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null))),
        (fields) => {
          const reversed = Object.fromEntries(Object.entries(fields).reverse());
          expect(contentHash(reversed)).toBe(contentHash(fields));
        },
      ),
    );
    expect(contentHash({ a: -0 })).toBe(contentHash({ a: 0 }));
    expect(contentHash({ d: new Date('2024-01-01T00:00:00Z') })).toBe(contentHash({ d: '2024-01-01T00:00:00Z' }));
  });

  it('treats an empty text as null, as SharePoint stores it', () => {
    expect(contentHash({ Title: 'a', note: '' })).toBe(contentHash({ Title: 'a', note: null }));
    expect(contentHash({ Title: 'a', note: ' ' })).not.toBe(contentHash({ Title: 'a', note: null }));
    expect(contentHash({ Title: 'a', note: '' })).not.toBe(contentHash({ Title: 'a' }));
  });

  it('changes with any value or name, and tells types apart', () => {
    const base = contentHash({ Title: 'a', n: 1 });
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(contentHash({ Title: 'a', n: 2 })).not.toBe(base);
    expect(contentHash({ Title2: 'a', n: 1 })).not.toBe(base);
    expect(contentHash({ Title: 'a', n: '1' })).not.toBe(base);
    expect(contentHash({ Title: 'a', n: 1, x: null })).not.toBe(base);
    expect(contentHash({ link: { Url: 'u', Description: 'd' } })).toBe(contentHash({ link: { Description: 'd', Url: 'u' } }));
  });

  it('differs for different field sets (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })),
        fc.dictionary(fc.string({ maxLength: 4 }), fc.string({ maxLength: 4 })),
        (a, b) => {
          const same = JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
          expect(contentHash(a) === contentHash(b)).toBe(same);
        },
      ),
    );
  });
});
