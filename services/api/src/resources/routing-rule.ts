import { z } from '@hono/zod-openapi';
import { MAX_ROUTING_RULE_DEPTH, routingRuleTooDeep } from '@syncbridge/shared/mapping';
import { MAX_IDENTIFIER_LENGTH } from '@syncbridge/shared/sources';

/**
 * Routing rules decide which list a row goes to (target strategy "conditional").
 * A rule is a small JSON predicate over source columns, evaluated in priority order.
 */
export type RoutingRule =
  | { all: RoutingRule[] }
  | { any: RoutingRule[] }
  | { not: RoutingRule }
  | { column: string; op: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte'; value: string | number | boolean | null }
  | { column: string; op: 'in' | 'not_in'; values: Array<string | number | boolean | null> };

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

const RuleNode: z.ZodType<RoutingRule> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(RuleNode).min(1) }).strict(),
    z.object({ any: z.array(RuleNode).min(1) }).strict(),
    z.object({ not: RuleNode }).strict(),
    z.object({ column: z.string().min(1).max(MAX_IDENTIFIER_LENGTH), op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']), value: scalar }).strict(),
    z.object({ column: z.string().min(1).max(MAX_IDENTIFIER_LENGTH), op: z.enum(['in', 'not_in']), values: z.array(scalar).min(1).max(1000) }).strict(),
  ]),
);

/**
 * The depth is checked first, without recursion: the recursive union above would otherwise
 * overflow the stack on a rule nested thousands deep (a 500 instead of a 400).
 */
export const RoutingRuleSchema: z.ZodType<RoutingRule> = z
  .unknown()
  .refine((rule) => !routingRuleTooDeep(rule), `must not be nested more than ${MAX_ROUTING_RULE_DEPTH} levels deep`)
  .pipe(RuleNode);
