import { SourceObjectNotFoundError } from '../errors.ts';
import type { Writability, WritableParams } from '../writes.ts';
import { literal, qualifiedName } from './ident.ts';
import { isTransactionalEngine } from './introspect.ts';
import type { Flavor } from './pool.ts';
import { plainRows, type Runner } from './query.ts';

/*
 * Whether the write path may touch a table, decided before any row is written, in one
 * statement: the table's kind and storage engine, its unique indexes, the server's read_only
 * flag and the user's privileges. Privileges come from information_schema's USER_PRIVILEGES,
 * SCHEMA_PRIVILEGES (whose database names may be LIKE patterns) and TABLE_PRIVILEGES for the
 * current account and, on MariaDB, its current role; column grants count for SELECT, INSERT and
 * UPDATE. Privileges that come only from a MySQL 8 role are not seen: grant them to the account.
 */

interface WritableRow {
  type: string;
  engine: string | null;
  read_only: number | string;
  unique_sets: string | null;
  privileges: string | null;
}

const no = (reason: string): Writability => ({ writable: false, reason });

function writableSql(p: WritableParams, flavor: Flavor): string {
  const schema = literal(p.schema);
  const table = literal(p.table);
  // GRANTEE is "'user'@'host'"; CURRENT_USER() is user@host (the account the server matched).
  const grantees = [`concat('''', substring_index(current_user(), '@', 1), '''@''', substring_index(current_user(), '@', -1), '''')`];
  if (flavor === 'mariadb') grantees.push(`concat('''', current_role(), '''')`);
  const who = `in (${grantees.join(', ')})`;
  return `select t.TABLE_TYPE as type, t.ENGINE as engine, @@global.read_only as read_only,
    (select group_concat(concat(s.INDEX_NAME, char(1), s.COLUMN_NAME) order by s.INDEX_NAME, s.SEQ_IN_INDEX separator '\\n')
       from information_schema.STATISTICS s
       where s.TABLE_SCHEMA = t.TABLE_SCHEMA and s.TABLE_NAME = t.TABLE_NAME and s.NON_UNIQUE = 0) as unique_sets,
    (select group_concat(distinct x.p separator ',') from (
       select PRIVILEGE_TYPE as p from information_schema.USER_PRIVILEGES where GRANTEE ${who}
       union all select PRIVILEGE_TYPE from information_schema.SCHEMA_PRIVILEGES where GRANTEE ${who} and ${schema} like TABLE_SCHEMA
       union all select PRIVILEGE_TYPE from information_schema.TABLE_PRIVILEGES where GRANTEE ${who} and TABLE_SCHEMA = ${schema} and TABLE_NAME = ${table}
       union all select PRIVILEGE_TYPE from information_schema.COLUMN_PRIVILEGES where GRANTEE ${who} and TABLE_SCHEMA = ${schema} and TABLE_NAME = ${table}
     ) x) as privileges
  from information_schema.TABLES t
  where t.TABLE_SCHEMA = ${schema} and t.TABLE_NAME = ${table}`;
}

/** Column sets of the unique indexes (each one's columns, in order); an index with an expression part never counts. */
function uniqueSets(text: string | null): string[][] {
  const sets = new Map<string, Array<string | null>>();
  for (const line of (text ?? '').split('\n').filter(Boolean)) {
    const [index, column] = line.split('\u0001');
    const list = sets.get(index as string) ?? [];
    list.push(column ?? null);
    sets.set(index as string, list);
  }
  return [...sets.values()].filter((cols) => cols.every((c) => c !== null && c !== '')) as string[][];
}

export async function checkWritable(db: Runner, flavor: Flavor, p: WritableParams): Promise<Writability> {
  const name = `${p.schema}.${p.table}`;
  const [row] = await plainRows<WritableRow>(db, writableSql(p, flavor));
  if (!row) throw new SourceObjectNotFoundError(`relation ${qualifiedName(p.schema, p.table)} does not exist or is not visible`);
  if (row.type === 'VIEW') return no(`${name} is a view: SyncBridge reads it (push) but never writes to it; point ingress at a base table`);
  if (row.type !== 'BASE TABLE' && row.type !== 'SYSTEM VERSIONED') return no(`${name} is a ${row.type.toLowerCase()}: ingress writes to base tables only`);
  if (row.engine && !isTransactionalEngine(row.engine)) {
    return no(
      `${name} uses the ${row.engine} storage engine, which has no transactions: ingress refuses it (a batch that fails half-way could not be rolled back); convert it to InnoDB to write to it`,
    );
  }
  if (Number(row.read_only) === 1) return no('the server is read-only (read_only is ON, e.g. a replica): ingress writes to the primary');
  if (p.keyColumns.length === 0) return no('writes need key columns');
  if (!uniqueSets(row.unique_sets).some((s) => s.length > 0 && s.every((c) => p.keyColumns.includes(c)))) {
    return no(
      `(${p.keyColumns.join(', ')}) is not a unique key of ${name}: no primary key or unique index on plain columns lies within these columns, so a write could change several rows`,
    );
  }
  const privileges = new Set((row.privileges ?? '').split(',').map((x) => x.trim().toUpperCase()));
  const has = (priv: string) => privileges.has(priv) || privileges.has('ALL PRIVILEGES') || privileges.has('ALL');
  // Locking the rows (SELECT ... FOR UPDATE) needs SELECT and UPDATE whatever the batch does.
  const ops = new Set(p.ops ?? ['insert', 'update', 'delete']);
  const missing = [
    ...(has('SELECT') ? [] : ['SELECT']),
    ...(ops.has('insert') && !has('INSERT') ? ['INSERT'] : []),
    ...(has('UPDATE') ? [] : ['UPDATE']),
    ...(ops.has('delete') && !has('DELETE') ? ['DELETE'] : []),
  ];
  if (missing.length) return no(`the user lacks the ${missing.join(', ')} privilege${missing.length > 1 ? 's' : ''} on ${name}`);
  return { writable: true };
}
