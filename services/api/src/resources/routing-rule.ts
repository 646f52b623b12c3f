import { z } from '@hono/zod-openapi';

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

export const RoutingRuleSchema: z.ZodType<RoutingRule> = z.lazy(() =>
  z.union([
    z.object({ all: z.array(RoutingRuleSchema).min(1) }).strict(),
    z.object({ any: z.array(RoutingRuleSchema).min(1) }).strict(),
    z.object({ not: RoutingRuleSchema }).strict(),
    z.object({ column: z.string().min(1).max(63), op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']), value: scalar }).strict(),
    z.object({ column: z.string().min(1).max(63), op: z.enum(['in', 'not_in']), values: z.array(scalar).min(1).max(1000) }).strict(),
  ]),
);
