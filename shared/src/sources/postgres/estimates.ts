import type postgres from 'postgres';
import { qualifiedName } from './ident.ts';
import type { RowEstimate } from '../types.ts';

/*
 * Row estimates for introspection, in at most four statements whatever the number of tables:
 * catalog facts per leaf relation; then, only for leaves without statistics, the timeouts,
 * their sizes and one count(*) over the small ones. pg_relation_size and count(*) take an
 * AccessShareLock, so they run in savepoints under a short lock_timeout: a table locked by a
 * running ALTER TABLE answers "none" instead of stalling the whole introspection.
 */

export interface EstimateOptions {
  /** A leaf without statistics whose main fork is at most this big is counted exactly. */
  exactCountMaxBytes?: number;
  /** The bytes all exact counts of one introspection may read together; the rest get size estimates. */
  exactCountBudgetBytes?: number;
}

export const EXACT_COUNT_MAX_BYTES = 8 * 1024 * 1024;
export const EXACT_COUNT_BUDGET_BYTES = 64 * 1024 * 1024;
// Keeps the one count statement (a UNION ALL, one bind parameter per relation) a reasonable size.
const MAX_COUNTED_RELATIONS = 500;

// Every relation maps to the leaves that hold its rows: itself, or a partitioned table's leaf
// partitions at any depth. The data width (fixed lengths, 32 bytes for variable ones, as the
// planner assumes without statistics) feeds the size-based estimate.
const LEAVES_SQL = `
with leaf as (
  select c.oid as rel, c.oid as leaf from pg_catalog.pg_class c where c.oid = any($1::oid[]) and c.relkind <> 'p'
  union all
  select c.oid, pt.relid from pg_catalog.pg_class c cross join lateral pg_catalog.pg_partition_tree(c.oid) pt
  where c.oid = any($1::oid[]) and c.relkind = 'p' and pt.isleaf
)
select leaf.rel as rel, l.oid as leaf, n.nspname as schema, l.relname as name, l.relkind as relkind,
  l.reltuples::float8 as reltuples, l.relpages::float8 as relpages, l.relispopulated as populated,
  pg_catalog.has_table_privilege(l.oid, 'SELECT') as readable,
  (select coalesce(sum(case when t.typlen > 0 then t.typlen else 32 end), 0)
     from pg_catalog.pg_attribute a join pg_catalog.pg_type t on t.oid = a.atttypid
     where a.attrelid = l.oid and a.attnum > 0 and not a.attisdropped)::float8 as data_width
from leaf
join pg_catalog.pg_class l on l.oid = leaf.leaf
join pg_catalog.pg_namespace n on n.oid = l.relnamespace`;

const SIZES_SQL = `select o as oid, coalesce(pg_catalog.pg_relation_size(o), 0)::float8 as bytes from unnest($1::oid[]) o`;

export interface LeafFacts {
  leaf: number;
  schema: string;
  name: string;
  relkind: string;
  reltuples: number;
  relpages: number;
  populated: boolean;
  readable: boolean;
  data_width: number;
}

/** PostgreSQL 14+ stores reltuples -1 until the first ANALYZE/VACUUM; older servers 0 with relpages 0. */
export function hasStatistics(f: Pick<LeafFacts, 'reltuples' | 'relpages'>, serverVersionNum: number): boolean {
  return serverVersionNum >= 140000 ? f.reltuples >= 0 : !(f.reltuples === 0 && f.relpages === 0);
}

const BLOCK_SIZE = 8192;
const PAGE_HEADER = 24;
const TUPLE_OVERHEAD = 24 + 4; // aligned heap tuple header + line pointer

/** Rows that fit in `bytes` of heap at the planner's default tuple width; an upper bound for bloated tables. */
export function rowsFromSize(bytes: number, dataWidth: number): number {
  const pages = Math.ceil(bytes / BLOCK_SIZE);
  return pages * Math.floor((BLOCK_SIZE - PAGE_HEADER) / (dataWidth + TUPLE_OVERHEAD));
}

const PRECISION: Record<RowEstimate['source'], number> = { count: 0, statistics: 1, size: 2, none: 3 };

/** A partitioned table's estimate: the sum of its leaves, as exact as the least exact of them. */
export function combineEstimates(leaves: readonly RowEstimate[]): RowEstimate {
  // No partitions: nothing can be stored in it, exactly none.
  if (leaves.length === 0) return { rows: 0, source: 'count' };
  let worst: RowEstimate['source'] = 'count';
  let rows = 0;
  for (const l of leaves) {
    if (l.rows === null || l.source === 'none') return { rows: null, source: 'none' };
    rows += l.rows;
    if (PRECISION[l.source] > PRECISION[worst]) worst = l.source;
  }
  return { rows, source: worst };
}

const isProgrammingError = (err: unknown) => err instanceof TypeError || err instanceof RangeError || err instanceof ReferenceError;

/** Runs `fn` in a savepoint; a database error (lock or statement timeout, privileges) gives undefined. */
async function attempt<T>(tx: postgres.TransactionSql, fn: (sp: postgres.TransactionSql) => Promise<T>): Promise<T | undefined> {
  try {
    return (await tx.savepoint(fn)) as T;
  } catch (err) {
    if (isProgrammingError(err)) throw err;
    return undefined;
  }
}

/** Row estimates of `relations` (tables, views, partitioned tables, ...), keyed by oid. */
export async function estimateRows(
  tx: postgres.TransactionSql,
  relations: ReadonlyArray<{ oid: number; relkind: string }>,
  serverVersionNum: number,
  opts: EstimateOptions = {},
): Promise<Map<number, RowEstimate>> {
  const out = new Map<number, RowEstimate>();
  if (relations.length === 0) return out;
  const rows = await tx.unsafe<(LeafFacts & { rel: number })[]>(LEAVES_SQL, [relations.map((r) => r.oid)]);
  const leaves = new Map<number, LeafFacts>(rows.map((r) => [r.leaf, r]));
  const estimates = new Map<number, RowEstimate>();

  const storedWithoutStats: LeafFacts[] = [];
  for (const f of leaves.values()) {
    if (f.relkind === 'm' && !f.populated) estimates.set(f.leaf, { rows: null, source: 'none' });
    else if ((f.relkind === 'r' || f.relkind === 'm' || f.relkind === 'f') && hasStatistics(f, serverVersionNum)) {
      estimates.set(f.leaf, { rows: Math.round(f.reltuples), source: 'statistics' });
    } else if (f.relkind === 'r' || f.relkind === 'm') storedWithoutStats.push(f);
    // Views store nothing; a foreign table's rows live on the remote side (counting would scan it).
    else estimates.set(f.leaf, { rows: null, source: 'none' });
  }
  if (storedWithoutStats.length > 0) await estimateWithoutStatistics(tx, storedWithoutStats, estimates, opts);

  const leavesOf = new Map<number, number[]>();
  for (const r of rows) leavesOf.set(r.rel, [...(leavesOf.get(r.rel) ?? []), r.leaf]);
  for (const rel of relations) {
    if (rel.relkind === 'p') out.set(rel.oid, combineEstimates((leavesOf.get(rel.oid) ?? []).map((l) => estimates.get(l)!)));
    else out.set(rel.oid, estimates.get(rel.oid) ?? { rows: null, source: 'none' });
  }
  return out;
}

/** Size for every leaf, then an exact count for the small ones within the budget, a size estimate for the rest. */
async function estimateWithoutStatistics(tx: postgres.TransactionSql, facts: LeafFacts[], into: Map<number, RowEstimate>, opts: EstimateOptions) {
  const maxBytes = opts.exactCountMaxBytes ?? EXACT_COUNT_MAX_BYTES;
  let budget = opts.exactCountBudgetBytes ?? EXACT_COUNT_BUDGET_BYTES;
  const sizes = await attempt(tx, async (sp) => {
    await sp.unsafe(`select pg_catalog.set_config('lock_timeout', '1000', true), pg_catalog.set_config('statement_timeout', '10000', true)`);
    return sp.unsafe<{ oid: number; bytes: number }[]>(SIZES_SQL, [facts.map((f) => f.leaf)]);
  });
  if (!sizes) {
    for (const f of facts) into.set(f.leaf, { rows: null, source: 'none' });
    return;
  }
  const bytesOf = new Map(sizes.map((s) => [s.oid, s.bytes]));
  const toCount: LeafFacts[] = [];
  for (const f of [...facts].sort((a, b) => (bytesOf.get(a.leaf) ?? 0) - (bytesOf.get(b.leaf) ?? 0))) {
    const bytes = bytesOf.get(f.leaf) ?? 0;
    into.set(f.leaf, { rows: rowsFromSize(bytes, f.data_width), source: 'size' });
    if (f.readable && bytes <= maxBytes && bytes <= budget && toCount.length < MAX_COUNTED_RELATIONS) {
      toCount.push(f);
      budget -= bytes;
    }
  }
  if (toCount.length === 0) return;
  // ONLY: each leaf is counted on its own, as its statistics would be (no inheritance children).
  const counts = await attempt(tx, (sp) =>
    sp.unsafe<{ oid: number; n: number }[]>(
      toCount.map((f, i) => `select $${i + 1}::oid as oid, count(*)::float8 as n from only ${qualifiedName(f.schema, f.name)}`).join(' union all '),
      toCount.map((f) => f.leaf),
    ),
  );
  for (const c of counts ?? []) into.set(c.oid, { rows: c.n, source: 'count' });
}
