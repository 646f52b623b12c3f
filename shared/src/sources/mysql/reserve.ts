import { checkLimit, type ReserveKeysParams } from '../reads.ts';
import { literal, qualifiedName, quoteIdent } from './ident.ts';
import { plainRows, type Runner } from './query.ts';

/*
 * reserveKeys for MariaDB: the sequence named by the key column's default
 * (`DEFAULT NEXT VALUE FOR s`, printed `nextval(\`db\`.\`s\`)` in information_schema), called
 * once per key in one statement. AUTO_INCREMENT hands out nothing ahead of an insert, and MySQL
 * has no sequences: both are refused (new-keys.ts says why).
 */

const NAME = '(?:`(?:[^`]|``)+`|[A-Za-z0-9_$]+)';
const SEQUENCE_DEFAULT = new RegExp(`^nextval\\((${NAME}(?:\\.${NAME})?)\\)$`, 'i');

export async function reserveKeys(db: Runner, p: ReserveKeysParams): Promise<string[]> {
  checkLimit(p.count);
  const [column] = await plainRows<{ def: string | null; data_type: string }>(
    db,
    `select COLUMN_DEFAULT as def, lower(DATA_TYPE) as data_type from information_schema.COLUMNS
     where TABLE_SCHEMA = ${literal(p.schema)} and TABLE_NAME = ${literal(p.table)} and COLUMN_NAME = ${literal(p.column)}`,
  );
  if (!column) throw new RangeError(`column ${quoteIdent(p.column)} does not exist in ${qualifiedName(p.schema, p.table)}`);
  // The sequence's name comes from the catalog and is checked to be one (possibly qualified) quoted name.
  const sequence = SEQUENCE_DEFAULT.exec(column.def ?? '')?.[1];
  if (!sequence || !/int$/.test(column.data_type))
    throw new RangeError(`no sequence fills ${qualifiedName(p.schema, p.table)}.${quoteIdent(p.column)} (its default is not NEXT VALUE FOR a sequence)`);
  const rows = await plainRows<{ k: string | number }>(
    db,
    `with recursive n (i) as (select 1 union all select i + 1 from n where i < ${p.count}) select cast(nextval(${sequence}) as char) as k from n`,
  );
  return rows.map((r) => String(r.k));
}
