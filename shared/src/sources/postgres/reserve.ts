import type postgres from 'postgres';
import { checkLimit, type ReserveKeysParams } from '../reads.ts';
import { qualifiedName, quoteIdent } from './ident.ts';
import { columnTypes, typeOf } from './query.ts';

/*
 * reserveKeys for PostgreSQL: the sequence behind the key column, either the one it owns
 * (serial, identity: pg_get_serial_sequence) or the one its default calls (`nextval('s'::regclass)`
 * on a sequence it does not own), then one nextval per key in one statement. Sequences are not
 * transactional: a value is never handed out twice, whatever happens to the row.
 */

const SEQUENCE_SQL = `
select coalesce(
  pg_get_serial_sequence($1, $2),
  replace((regexp_match(pg_get_expr(d.adbin, d.adrelid), '^nextval\\(''((?:[^'']|'''')+)''::regclass\\)$'))[1], '''''', '''')
) as seq
from pg_attribute a
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where a.attrelid = $1::regclass and a.attname = $2 and not a.attisdropped`;

export async function reserveKeys(sql: postgres.Sql, p: ReserveKeysParams): Promise<string[]> {
  checkLimit(p.count);
  const type = typeOf(await columnTypes(sql, p), p, p.column);
  if (!['smallint', 'integer', 'bigint'].includes(type.family))
    throw new RangeError(`column ${quoteIdent(p.column)} is not an integer column: no sequence fills it`);
  const [row] = await sql.unsafe<Array<{ seq: string | null }>>(SEQUENCE_SQL, [qualifiedName(p.schema, p.table), p.column]);
  if (!row?.seq)
    throw new RangeError(`no sequence fills ${qualifiedName(p.schema, p.table)}.${quoteIdent(p.column)} (not serial, identity or a nextval default)`);
  const rows = await sql.unsafe<Array<{ k: string }>>('select nextval($1::regclass)::text as k from generate_series(1, $2::int)', [row.seq, p.count]);
  return rows.map((r) => r.k);
}
