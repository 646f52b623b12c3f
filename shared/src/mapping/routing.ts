import type { IntrospectedTable } from '../sources/types.ts';
import { canonicalDecimal, compareDecimal } from './decimal.ts';
import { parseTimestampText } from './temporal.ts';
import type { RoutingRule, RoutingTarget, RoutingValue, ValidationIssue } from './types.ts';

/*
 * Conditional targets. Rules compare raw source values (as the driver returns them):
 * - numbers: when either side is a JS number or bigint, both are compared as exact decimals,
 *   so an int8/numeric column (a string from the driver) compares with a JSON number rule
 *   value without rounding. Two strings compare as strings: write numbers as JSON numbers.
 * - dates: a Date row value compares with an ISO 8601 rule string by instant
 *   ("2024-01-01" is midnight UTC).
 * - strings: by UTF-16 code unit, case-sensitive (like PostgreSQL's "C" collation).
 * - booleans: only with booleans (false < true).
 * - null: `eq null` / `ne null` test for NULL; every ordering comparison with NULL is false.
 *   `ne` is exactly `not eq`, so NULL is "not equal" to any non-null value.
 * Values of different kinds (a string against a number that is not numeric, an array, ...)
 * are never equal and never ordered.
 */

export class InvalidRoutingRuleError extends Error {
  override name = 'InvalidRoutingRuleError';
}

/**
 * How deeply rules may nest (a leaf comparison is 1, `{ not: leaf }` is 2). Real rules are a few
 * levels deep; a cap keeps every recursive walk of a rule (validation, evaluation) far from the
 * stack limit, which a rule nested thousands deep would otherwise reach (a crash, not a 4xx).
 */
export const MAX_ROUTING_RULE_DEPTH = 32;

/** Whether `rule` (any JSON, not yet validated) nests deeper than `max`; iterative, and stops at the first path past it. */
export function routingRuleTooDeep(rule: unknown, max = MAX_ROUTING_RULE_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[rule, 1]];
  while (stack.length) {
    const [r, depth] = stack.pop()!;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) continue;
    const o = r as Record<string, unknown>;
    const children = [...(Array.isArray(o.all) ? o.all : []), ...(Array.isArray(o.any) ? o.any : []), ...('not' in o ? [o.not] : [])];
    if (children.length && depth >= max) return true;
    for (const child of children) stack.push([child, depth + 1]);
  }
  return false;
}

const tooDeep = () => `a routing rule must not be nested more than ${MAX_ROUTING_RULE_DEPTH} levels deep`;

const COMPARISON_OPS = new Set(['eq', 'ne', 'gt', 'gte', 'lt', 'lte']);
const SET_OPS = new Set(['in', 'not_in']);

function decimalOf(v: unknown): string | null {
  if (typeof v === 'number' || typeof v === 'bigint') return canonicalDecimal(v);
  if (typeof v === 'string') return canonicalDecimal(v);
  return null;
}

/** -1, 0, 1, or undefined when the two values cannot be compared. */
export function compareRoutingValues(rowValue: unknown, ruleValue: Exclude<RoutingValue, null>): -1 | 0 | 1 | undefined {
  if (rowValue === null || rowValue === undefined) return undefined;
  if (typeof rowValue === 'boolean' || typeof ruleValue === 'boolean') {
    if (typeof rowValue !== 'boolean' || typeof ruleValue !== 'boolean') return undefined;
    return rowValue === ruleValue ? 0 : rowValue ? 1 : -1;
  }
  if (rowValue instanceof Date) {
    const rule = typeof ruleValue === 'string' ? parseTimestampText(ruleValue) : null;
    const a = rowValue.getTime();
    if (!rule || Number.isNaN(a)) return undefined;
    const b = rule.getTime();
    return a === b ? 0 : a < b ? -1 : 1;
  }
  if (typeof ruleValue === 'number' || typeof rowValue === 'number' || typeof rowValue === 'bigint') {
    const a = decimalOf(rowValue);
    const b = decimalOf(ruleValue);
    return a === null || b === null ? undefined : compareDecimal(a, b);
  }
  if (typeof rowValue === 'string') return rowValue === ruleValue ? 0 : rowValue < ruleValue ? -1 : 1;
  return undefined;
}

function equals(rowValue: unknown, ruleValue: RoutingValue): boolean {
  if (ruleValue === null) return rowValue === null || rowValue === undefined;
  return compareRoutingValues(rowValue, ruleValue) === 0;
}

/** Evaluates a rule against a row. Throws InvalidRoutingRuleError for a malformed rule (one nested too deep included). */
export function evaluateRule(rule: RoutingRule, row: Record<string, unknown>, depth = 1): boolean {
  if (typeof rule !== 'object' || rule === null) throw new InvalidRoutingRuleError('a routing rule must be an object');
  // The API refuses deeper rules; a stored one from before that check fails here instead of overflowing the stack.
  if (depth > MAX_ROUTING_RULE_DEPTH) throw new InvalidRoutingRuleError(tooDeep());
  if ('all' in rule) return rule.all.every((r) => evaluateRule(r, row, depth + 1));
  if ('any' in rule) return rule.any.some((r) => evaluateRule(r, row, depth + 1));
  if ('not' in rule) return !evaluateRule(rule.not, row, depth + 1);
  if (!('column' in rule)) throw new InvalidRoutingRuleError('a routing rule needs all, any, not or column');
  const value = row[rule.column];
  switch (rule.op) {
    case 'eq':
      return equals(value, rule.value);
    case 'ne':
      return !equals(value, rule.value);
    case 'in':
      return rule.values.some((v) => equals(value, v));
    case 'not_in':
      return !rule.values.some((v) => equals(value, v));
    default: {
      if (!('value' in rule) || !COMPARISON_OPS.has(rule.op))
        throw new InvalidRoutingRuleError(`unknown routing operator "${String((rule as { op: unknown }).op)}"`);
      if (rule.value === null) return false;
      const c = compareRoutingValues(value, rule.value);
      if (c === undefined) return false;
      return rule.op === 'gt' ? c > 0 : rule.op === 'gte' ? c >= 0 : rule.op === 'lt' ? c < 0 : c <= 0;
    }
  }
}

/**
 * The target a row goes to: the first target (ascending priority, then id) whose rule
 * matches; otherwise the default target; otherwise null (the caller quarantines the row as
 * "no target matches"). A target without a rule only ever receives rows as the default.
 */
export function routeRow(row: Record<string, unknown>, targets: RoutingTarget[]): string | null {
  const ordered = [...targets].sort((a, b) => a.priority - b.priority || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const t of ordered) if (t.routingRule && evaluateRule(t.routingRule, row)) return t.id;
  return ordered.find((t) => t.isDefault)?.id ?? null;
}

const isRoutingValue = (v: unknown) => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
const NUMERIC_FAMILIES = new Set(['smallint', 'integer', 'bigint', 'numeric', 'real', 'double']);

/** Structural problems of a (JSON) rule, plus unknown columns and string-vs-number mistakes when a table is given. */
export function validateRoutingRule(rule: unknown, table?: IntrospectedTable, path = 'routingRule', depth = 1): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) return [{ field: path, message: 'a rule must be an object' }];
  // Stops the recursion at the cap, so a rule nested thousands deep is an issue, not a stack overflow.
  if (depth > MAX_ROUTING_RULE_DEPTH) return [{ field: path, message: tooDeep() }];
  const r = rule as Record<string, unknown>;
  for (const group of ['all', 'any'] as const) {
    if (group in r) {
      if (!Array.isArray(r[group])) return [{ field: `${path}.${group}`, message: `${group} must be an array of rules` }];
      (r[group] as unknown[]).forEach((sub, i) => issues.push(...validateRoutingRule(sub, table, `${path}.${group}[${i}]`, depth + 1)));
      return issues;
    }
  }
  if ('not' in r) return validateRoutingRule(r.not, table, `${path}.not`, depth + 1);
  if (typeof r.column !== 'string') return [{ field: path, message: 'a rule needs "all", "any", "not", or a "column" with an "op"' }];
  const column = table?.columns.find((c) => c.name === r.column);
  if (table && !column) issues.push({ field: `${path}.column`, message: `column "${r.column}" does not exist in ${table.schema}.${table.name}` });
  const op = r.op as string;
  let values: unknown[] = [];
  if (COMPARISON_OPS.has(op)) {
    if (!('value' in r) || !isRoutingValue(r.value))
      issues.push({ field: `${path}.value`, message: 'value must be a string, a finite number, a boolean or null' });
    else values = [r.value];
  } else if (SET_OPS.has(op)) {
    if (!Array.isArray(r.values) || !r.values.every(isRoutingValue))
      issues.push({ field: `${path}.values`, message: 'values must be an array of strings, numbers, booleans or null' });
    else values = r.values;
  } else {
    issues.push({ field: `${path}.op`, message: `op must be one of ${[...COMPARISON_OPS, ...SET_OPS].join(', ')}` });
  }
  if (column && NUMERIC_FAMILIES.has(column.typeFamily) && values.some((v) => typeof v === 'string')) {
    issues.push({ field: path, message: `column "${column.name}" is numeric: write the value as a JSON number, a string compares as text` });
  }
  return issues;
}
