import { describe, expect, it } from 'vitest';
import { evaluateRule, InvalidRoutingRuleError, MAX_ROUTING_RULE_DEPTH, routingRuleTooDeep, validateRoutingRule } from '../../src/mapping/routing.ts';
import type { RoutingRule } from '../../src/mapping/types.ts';

const leaf: RoutingRule = { column: 'n', op: 'eq', value: 1 };
const nested = (depth: number, wrap: (r: RoutingRule) => RoutingRule = (r) => ({ not: r })): RoutingRule => {
  let rule: RoutingRule = leaf;
  for (let i = 1; i < depth; i++) rule = wrap(rule);
  return rule;
};

describe('routing rules nest at most MAX_ROUTING_RULE_DEPTH levels', () => {
  it('measures depth without recursion, for any JSON', () => {
    expect(routingRuleTooDeep(nested(MAX_ROUTING_RULE_DEPTH))).toBe(false);
    expect(routingRuleTooDeep(nested(MAX_ROUTING_RULE_DEPTH + 1))).toBe(true);
    expect(routingRuleTooDeep(nested(100_000, (r) => ({ all: [leaf, r] })))).toBe(true);
    for (const notARule of [null, 1, 'x', [], { all: 'x' }]) expect(routingRuleTooDeep(notARule)).toBe(false);
  });

  it('evaluates up to the cap and refuses a deeper stored rule instead of overflowing the stack', () => {
    // An even number of `not`s around `n = 1`.
    expect(evaluateRule(nested(MAX_ROUTING_RULE_DEPTH - 1), { n: 1 })).toBe(true);
    expect(() => evaluateRule(nested(MAX_ROUTING_RULE_DEPTH + 1), { n: 1 })).toThrow(InvalidRoutingRuleError);
    expect(() =>
      evaluateRule(
        nested(50_000, (r) => ({ any: [r] })),
        { n: 1 },
      ),
    ).toThrow(/nested more than/);
  });

  it('reports a deeper rule as a validation issue', () => {
    expect(validateRoutingRule(nested(MAX_ROUTING_RULE_DEPTH))).toEqual([]);
    const issues = validateRoutingRule(nested(50_000, (r) => ({ all: [r] })));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.message).toMatch(/nested more than 32 levels/);
  });
});
