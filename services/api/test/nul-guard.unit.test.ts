import { describe, expect, it } from 'vitest';
import { nulFieldErrors } from '../src/lib/nul-guard.ts';

describe('nulFieldErrors', () => {
  it('names each string holding a NUL, in values and keys, however nested', () => {
    const errors = nulFieldErrors({ a: 'ok', b: ['x', 'y\u0000'], c: { 'k\u0000': 1, d: { e: '\u0000' } } }, 'body');
    expect(errors.map((e) => e.field).sort()).toEqual(['body.b.1', 'body.c.d.e', 'body.c.k\\u0000']);
    expect(nulFieldErrors({ a: 'fine', n: 1, z: null, t: true }, 'query')).toEqual([]);
  });

  it('walks input nested far deeper than the stack allows, naming the field by its ends', () => {
    let value: unknown = 'bottom\u0000';
    for (let i = 0; i < 100_000; i++) value = { k: value };
    const [error, ...more] = nulFieldErrors(value, 'body');
    expect(more).toEqual([]);
    expect(error!.field).toMatch(/^body(\.k){16}\.…(\.k){16}$/);
  });
});
