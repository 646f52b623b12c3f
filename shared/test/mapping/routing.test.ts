import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateRule, routeRow, validateRoutingRule } from '../../src/mapping/routing.ts';
import type { RoutingRule, RoutingTarget } from '../../src/mapping/types.ts';
import { col, tableOf } from './fixtures.ts';

const target = (id: string, priority: number, routingRule: RoutingRule | null, isDefault = false): RoutingTarget => ({ id, priority, routingRule, isDefault });

describe('routeRow', () => {
  const targets = [
    target('default', 100, null, true),
    target('eu-big', 10, {
      all: [
        { column: 'region', op: 'eq', value: 'EU' },
        { column: 'amount', op: 'gte', value: 1000 },
      ],
    }),
    target('eu', 20, { column: 'region', op: 'in', values: ['EU', 'UK'] }),
    target('archived', 5, { column: 'archived_at', op: 'lt', value: '2024-01-01' }),
  ];

  it('takes the first matching rule by priority, then the default', () => {
    // amount is a numeric column: the driver gives a string, compared exactly with the number.
    expect(routeRow({ region: 'EU', amount: '1000.00', archived_at: null }, targets)).toBe('eu-big');
    expect(routeRow({ region: 'EU', amount: '999.99', archived_at: null }, targets)).toBe('eu');
    expect(routeRow({ region: 'UK', amount: '5000', archived_at: new Date('2023-12-31T23:59:59Z') }, targets)).toBe('archived');
    expect(routeRow({ region: 'US', amount: '5000', archived_at: new Date('2024-01-01T00:00:00Z') }, targets)).toBe('default');
  });

  it('returns null when nothing matches and there is no default', () => {
    expect(
      routeRow(
        { region: 'US' },
        targets.filter((t) => !t.isDefault),
      ),
    ).toBeNull();
    expect(routeRow({ region: 'US' }, [])).toBeNull();
  });

  it('is deterministic for equal priorities (by id), whatever the input order (property)', () => {
    const all = { column: 'x', op: 'ne', value: null } as const;
    fc.assert(
      fc.property(fc.shuffledSubarray(['b', 'a', 'c'], { minLength: 1 }), (ids) => {
        expect(
          routeRow(
            { x: 1 },
            ids.map((id) => target(id, 1, all)),
          ),
        ).toBe([...ids].sort()[0]);
      }),
    );
  });
});

describe('evaluateRule comparisons', () => {
  const cmp = (row: unknown, op: 'eq' | 'gt' | 'lt', value: string | number | boolean | null) => evaluateRule({ column: 'v', op, value }, { v: row });

  it('compares bigint strings and numbers exactly (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.integer(), (a, b) => {
        expect(cmp(String(a), 'gt', b)).toBe(a > BigInt(b));
        expect(cmp(a, 'eq', b)).toBe(a === BigInt(b));
      }),
    );
    expect(cmp('9007199254740993', 'gt', 9007199254740992)).toBe(true);
  });

  it('handles NULL, mixed kinds, strings, booleans and dates', () => {
    expect(cmp(null, 'eq', null)).toBe(true);
    expect(evaluateRule({ column: 'v', op: 'ne', value: 'x' }, { v: null })).toBe(true);
    expect(cmp(null, 'gt', 1)).toBe(false);
    expect(cmp('abc', 'gt', 1)).toBe(false);
    expect(cmp('b', 'gt', 'a')).toBe(true);
    expect(cmp('B', 'gt', 'a')).toBe(false); // code-unit order, case-sensitive
    expect(cmp('10', 'lt', '9')).toBe(true); // two strings compare as text
    expect(cmp(true, 'eq', true)).toBe(true);
    expect(cmp('true', 'eq', true)).toBe(false);
    expect(cmp(new Date('2024-06-01T00:00:00Z'), 'gt', '2024-05-31T23:59:59+00:00')).toBe(true);
    expect(cmp(new Date('2024-06-01T00:00:00Z'), 'eq', '2024-06-01')).toBe(true);
    expect(evaluateRule({ not: { column: 'v', op: 'not_in', values: [1, 2] } }, { v: 2 })).toBe(true);
    expect(evaluateRule({ any: [] }, {})).toBe(false);
    expect(evaluateRule({ all: [] }, {})).toBe(true);
  });

  it('throws on a malformed rule instead of silently misrouting', () => {
    expect(() => evaluateRule({ column: 'v', op: 'like', value: 'x' } as never, { v: 'x' })).toThrow(/unknown routing operator/);
    expect(() => evaluateRule({ foo: 1 } as never, {})).toThrow();
  });
});

describe('validateRoutingRule', () => {
  const table = tableOf([col('region', 'text'), col('amount', 'numeric')]);

  it('accepts well-formed rules and reports problems with paths', () => {
    expect(validateRoutingRule({ any: [{ column: 'region', op: 'eq', value: 'EU' }, { not: { column: 'amount', op: 'gt', value: 5 } }] }, table)).toEqual([]);
    expect(
      validateRoutingRule(
        {
          all: [
            { column: 'ghost', op: 'eq', value: 1 },
            { column: 'region', op: 'like', value: 'x' },
            { column: 'amount', op: 'in', values: ['5'] },
          ],
        },
        table,
      ),
    ).toEqual([
      { field: 'routingRule.all[0].column', message: 'column "ghost" does not exist in public.t' },
      { field: 'routingRule.all[1].op', message: expect.stringContaining('op must be one of') },
      { field: 'routingRule.all[2]', message: expect.stringContaining('write the value as a JSON number') },
    ]);
    expect(validateRoutingRule([], table)).toEqual([{ field: 'routingRule', message: 'a rule must be an object' }]);
    expect(validateRoutingRule({ column: 'region', op: 'eq', value: { x: 1 } })).toMatchObject([{ field: 'routingRule.value' }]);
  });
});
