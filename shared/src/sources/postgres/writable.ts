import type postgres from 'postgres';
import { SourceObjectNotFoundError } from '../errors.ts';
import type { Writability, WritableParams } from '../writes.ts';
import { qualifiedName } from './ident.ts';

/*
 * Whether the write path may touch a relation, decided from the catalog before any row is
 * written, in one statement. Everything that would make a batch fail half-way or change rows
 * nobody asked for is refused here with the reason.
 */

// Unique indexes without a predicate or an expression are the column sets PostgreSQL keeps
// unique (primary keys and unique constraints are backed by one). Privileges are per column
// where PostgreSQL allows column grants (SELECT, INSERT, UPDATE), per table for DELETE.
const WRITABLE_SQL = `
select c.relkind::text as relkind, c.relispartition as is_partition,
  case when c.relispartition then (
    select rn.nspname || '.' || rc.relname from pg_catalog.pg_class rc join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
    where rc.oid = pg_catalog.pg_partition_root(c.oid)) end as partition_root,
  pg_catalog.pg_is_in_recovery() as in_recovery,
  pg_catalog.current_setting('transaction_read_only') = 'on' as read_only,
  pg_catalog.has_any_column_privilege(c.oid, 'SELECT') as can_select,
  pg_catalog.has_any_column_privilege(c.oid, 'INSERT') as can_insert,
  pg_catalog.has_any_column_privilege(c.oid, 'UPDATE') as can_update,
  pg_catalog.has_table_privilege(c.oid, 'DELETE') as can_delete,
  coalesce((
    select pg_catalog.json_agg(array(
      select a.attname::text from unnest(i.indkey[0:i.indnkeyatts - 1]) with ordinality k(attnum, ord)
      join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum order by k.ord))
    from pg_catalog.pg_index i
    where i.indrelid = c.oid and i.indisunique and i.indisvalid and i.indpred is null and i.indexprs is null), '[]') as unique_sets
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1::text and c.relname = $2::text`;

interface WritableRow {
  relkind: string;
  is_partition: boolean;
  partition_root: string | null;
  in_recovery: boolean;
  read_only: boolean;
  can_select: boolean;
  can_insert: boolean;
  can_update: boolean;
  can_delete: boolean;
  unique_sets: string[][];
}

const RELATION_KINDS: Record<string, string> = {
  v: 'a view',
  m: 'a materialized view',
  f: 'a foreign table (its rows live on another server, outside this transaction)',
};

const no = (reason: string): Writability => ({ writable: false, reason });

/** Whether the key columns identify at most one row: they contain a set PostgreSQL keeps unique. */
const isUniqueKey = (keyColumns: readonly string[], sets: readonly string[][]) => sets.some((s) => s.length > 0 && s.every((c) => keyColumns.includes(c)));

export async function checkWritable(sql: postgres.Sql | postgres.TransactionSql, p: WritableParams): Promise<Writability> {
  const name = `${p.schema}.${p.table}`;
  const [row] = await sql.unsafe<WritableRow[]>(WRITABLE_SQL, [p.schema, p.table]);
  if (!row) throw new SourceObjectNotFoundError(`relation ${qualifiedName(p.schema, p.table)} does not exist or is not visible`);
  const kind = RELATION_KINDS[row.relkind];
  if (kind) return no(`${name} is ${kind}: SyncBridge reads it (push) but never writes to it; point ingress at a base table`);
  if (row.is_partition) return no(`${name} is a partition: write through its partitioned table ${row.partition_root ?? ''}`.trimEnd());
  if (row.in_recovery) return no('the instance is a hot-standby replica (read-only): ingress writes to the primary');
  if (row.read_only) return no('the instance is read-only (default_transaction_read_only is on for this user or database)');
  if (p.keyColumns.length === 0) return no('writes need key columns');
  if (!isUniqueKey(p.keyColumns, row.unique_sets)) {
    return no(
      `(${p.keyColumns.join(', ')}) is not a unique key of ${name}: no primary key, unique constraint or unique index without a predicate lies within these columns, so a write could change several rows`,
    );
  }
  // Reading and locking the rows (SELECT ... FOR UPDATE) needs SELECT and UPDATE whatever the batch does.
  const ops = new Set(p.ops ?? ['insert', 'update', 'delete']);
  const missing = [
    ...(row.can_select ? [] : ['SELECT']),
    ...(ops.has('insert') && !row.can_insert ? ['INSERT'] : []),
    ...(row.can_update ? [] : ['UPDATE']),
    ...(ops.has('delete') && !row.can_delete ? ['DELETE'] : []),
  ];
  if (missing.length) return no(`the user lacks the ${missing.join(', ')} privilege${missing.length > 1 ? 's' : ''} on ${name}`);
  return { writable: true };
}
