import { parseIsoDateTime } from './dates.ts';
import { badRequest } from './errors.ts';

/**
 * A small OData v4 `$filter` parser for what Graph accepts on list items:
 * `fields/X eq 'v'`, `ne`, `gt`, `ge`, `lt`, `le`, `and`, `or`, `not`, parentheses and
 * `startswith(fields/X,'v')`, with string, number, boolean, null and date-time literals.
 */
export type Operand = { kind: 'path'; path: string[] } | { kind: 'lit'; value: string | number | boolean | null };
export type CompareOp = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterExpr =
  | { kind: 'and'; left: FilterExpr; right: FilterExpr }
  | { kind: 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr }
  | { kind: 'cmp'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'startswith'; args: [Operand, Operand] };

type Token = { t: 'str'; v: string } | { t: 'num'; v: number } | { t: 'word'; v: string } | { t: 'punct'; v: '(' | ')' | ',' };

const COMPARE_OPS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

const invalidFilter = (detail: string) => badRequest(`Invalid filter clause: ${detail}`);

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      tokens.push({ t: 'punct', v: ch });
      i++;
      continue;
    }
    if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) throw invalidFilter('unterminated string literal');
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += src[i];
        i++;
      }
      tokens.push({ t: 'str', v: value });
      continue;
    }
    const rest = src.slice(i);
    const dt = /^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:\d{2})/.exec(rest);
    if (dt && DATETIME.test(dt[0])) {
      if (parseIsoDateTime(dt[0], false) === undefined) throw invalidFilter(`'${dt[0]}' is not a valid date and time`);
      tokens.push({ t: 'str', v: dt[0] });
      i += dt[0].length;
      continue;
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(rest);
    if (num) {
      tokens.push({ t: 'num', v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*(\/[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest);
    if (word) {
      tokens.push({ t: 'word', v: word[0] });
      i += word[0].length;
      continue;
    }
    throw invalidFilter(`unexpected character '${ch}'`);
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): FilterExpr {
    const expr = this.or();
    if (this.pos < this.tokens.length) throw invalidFilter('unexpected trailing input');
    return expr;
  }

  private peek(): Token | undefined {
    return this.tokens[this.pos];
  }
  private next(): Token {
    const t = this.tokens[this.pos++];
    if (!t) throw invalidFilter('unexpected end of expression');
    return t;
  }
  private isWord(v: string): boolean {
    const t = this.peek();
    return t?.t === 'word' && t.v.toLowerCase() === v;
  }
  private expectPunct(v: '(' | ')' | ','): void {
    const t = this.next();
    if (t.t !== 'punct' || t.v !== v) throw invalidFilter(`expected '${v}'`);
  }

  private or(): FilterExpr {
    let left = this.and();
    while (this.isWord('or')) {
      this.pos++;
      left = { kind: 'or', left, right: this.and() };
    }
    return left;
  }
  private and(): FilterExpr {
    let left = this.unary();
    while (this.isWord('and')) {
      this.pos++;
      left = { kind: 'and', left, right: this.unary() };
    }
    return left;
  }
  private unary(): FilterExpr {
    if (this.isWord('not')) {
      this.pos++;
      return { kind: 'not', expr: this.unary() };
    }
    const t = this.peek();
    if (t?.t === 'punct' && t.v === '(') {
      this.pos++;
      const inner = this.or();
      this.expectPunct(')');
      return inner;
    }
    if (t?.t === 'word' && t.v.toLowerCase() === 'startswith' && this.tokens[this.pos + 1]?.t === 'punct') {
      this.pos++;
      this.expectPunct('(');
      const a = this.operand();
      this.expectPunct(',');
      const b = this.operand();
      this.expectPunct(')');
      return { kind: 'startswith', args: [a, b] };
    }
    const left = this.operand();
    const op = this.next();
    if (op.t !== 'word' || !COMPARE_OPS.has(op.v.toLowerCase())) throw invalidFilter('expected a comparison operator');
    return { kind: 'cmp', op: op.v.toLowerCase() as CompareOp, left, right: this.operand() };
  }
  private operand(): Operand {
    const t = this.next();
    if (t.t === 'str' || t.t === 'num') return { kind: 'lit', value: t.v };
    if (t.t === 'word') {
      const lower = t.v.toLowerCase();
      if (lower === 'true' || lower === 'false') return { kind: 'lit', value: lower === 'true' };
      if (lower === 'null') return { kind: 'lit', value: null };
      return { kind: 'path', path: t.v.split('/') };
    }
    throw invalidFilter('expected a property or a literal');
  }
}

export function parseFilter(src: string): FilterExpr {
  return new Parser(tokenize(src)).parse();
}

/** Names of the `fields/X` properties the expression references; other paths are rejected. */
export function referencedFields(expr: FilterExpr): string[] {
  const out = new Set<string>();
  const visitOperand = (o: Operand) => {
    if (o.kind !== 'path') return;
    if (o.path.length !== 2 || o.path[0] !== 'fields')
      throw invalidFilter(`only fields/<name> properties can be filtered on list items, not '${o.path.join('/')}'`);
    out.add(o.path[1] as string);
  };
  const visit = (e: FilterExpr): void => {
    if (e.kind === 'and' || e.kind === 'or') {
      visit(e.left);
      visit(e.right);
    } else if (e.kind === 'not') visit(e.expr);
    else if (e.kind === 'cmp') {
      visitOperand(e.left);
      visitOperand(e.right);
    } else e.args.forEach(visitOperand);
  };
  visit(expr);
  return [...out];
}

type Scalar = string | number | boolean | null;

function toScalar(v: unknown): Scalar {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'object' && 'Url' in v) return String((v as { Url: unknown }).Url);
  return JSON.stringify(v);
}

function compare(a: Scalar, b: Scalar): number | undefined {
  if (a === null || b === null) return undefined;
  if (typeof a === 'number' || typeof b === 'number') {
    const x = Number(a);
    const y = Number(b);
    if (Number.isNaN(x) || Number.isNaN(y)) return undefined;
    return x - y;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a === true || a === 'true') - Number(b === true || b === 'true');
  if (DATETIME.test(a) && DATETIME.test(b)) return Date.parse(a) - Date.parse(b);
  // SharePoint (CAML) compares text case-insensitively.
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

export function evaluateFilter(expr: FilterExpr, resolve: (field: string) => unknown): boolean {
  const value = (o: Operand): Scalar => (o.kind === 'lit' ? o.value : toScalar(resolve(o.path[1] as string)));
  switch (expr.kind) {
    case 'and':
      return evaluateFilter(expr.left, resolve) && evaluateFilter(expr.right, resolve);
    case 'or':
      return evaluateFilter(expr.left, resolve) || evaluateFilter(expr.right, resolve);
    case 'not':
      return !evaluateFilter(expr.expr, resolve);
    case 'startswith': {
      const [a, b] = expr.args.map(value);
      return typeof a === 'string' && typeof b === 'string' && a.toLowerCase().startsWith(b.toLowerCase());
    }
    case 'cmp': {
      const a = value(expr.left);
      const b = value(expr.right);
      if (a === null || b === null) {
        if (expr.op === 'eq') return a === b;
        if (expr.op === 'ne') return a !== b;
        return false;
      }
      const d = compare(a, b);
      if (d === undefined) return expr.op === 'ne';
      switch (expr.op) {
        case 'eq':
          return d === 0;
        case 'ne':
          return d !== 0;
        case 'gt':
          return d > 0;
        case 'ge':
          return d >= 0;
        case 'lt':
          return d < 0;
        case 'le':
          return d <= 0;
      }
    }
  }
}
