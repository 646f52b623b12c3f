import { setTimeout as sleep } from 'node:timers/promises';
import { PgoutputPlugin, type Pgoutput } from 'pg-logical-replication';
import type postgres from 'postgres';
import { SourceObjectNotFoundError } from '../errors.ts';
import type { RelationName } from '../connector.ts';
import { qualifiedName, quoteIdent } from './ident.ts';

/*
 * Change capture by logical replication, for push sync. One pgoutput slot and one publication
 * (FOR TABLE the definition's table only) per sync definition. Changes are read with the
 * SQL-level slot functions, never the walsender protocol: a batch peeks whole transactions,
 * writes them, commits its own cursor (the end LSN of the last transaction) and only then
 * advances the slot. A crash between the two leaves the slot behind the stored cursor; the
 * next peek skips what the cursor already covers (`afterLsn`). Decoding is the library's
 * pgoutput parser; values arrive as PostgreSQL's text output and are kept as that text
 * (the column parsers are replaced), so a key is exactly `col::text` in this session.
 */

type Sql = postgres.Sql | postgres.TransactionSql;

/** The slot and publication names of one sync definition. */
export interface ReplicationNames {
  slot: string;
  publication: string;
}

/** 'syncbridge_' + the definition id without dashes, lower case (slot names allow [a-z0-9_], max 63). */
export function replicationNames(definitionId: string): ReplicationNames {
  const name = `syncbridge_${definitionId.replace(/-/g, '').toLowerCase()}`;
  if (!/^[a-z0-9_]+$/.test(name) || name.length > 63)
    throw new RangeError(`definition id ${JSON.stringify(definitionId)} cannot name a replication slot (letters, digits, _ and -, at most 52 characters)`);
  return { slot: name, publication: name };
}

const LSN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

function lsnValue(lsn: string): bigint {
  const m = LSN.exec(lsn);
  if (!m) throw new RangeError(`not a PostgreSQL LSN: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${m[1]}`) << 32n) | BigInt(`0x${m[2]}`);
}

/** PostgreSQL's own spelling of an LSN (`16/B374D848`: upper case, no padding); the decoder pads its LSNs with zeros. */
function pgLsn(lsn: string): string {
  const v = lsnValue(lsn);
  return `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** Orders two 'X/Y' hex LSNs: negative when a is before b, 0 when equal, positive after. */
export function compareLsn(a: string, b: string): number {
  const d = lsnValue(a) - lsnValue(b);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Bytes of WAL from b to a (a - b; negative when a is before b). */
export function lsnDiffBytes(a: string, b: string): number {
  return Number(lsnValue(a) - lsnValue(b));
}

/** Another session has the slot acquired (a peek, an advance, a walsender) and kept it past a few short waits. */
export class ReplicationSlotBusyError extends Error {
  override name = 'ReplicationSlotBusyError';
}

const BUSY_RETRIES = 5;
const BUSY_WAIT_MS = 200;

const codeOf = (e: unknown): string | undefined => (e as { code?: unknown } | null)?.code as string | undefined;
const isSlotBusy = (e: unknown) => codeOf(e) === '55006' && /is active for PID/i.test((e as Error).message);

/** Runs `fn`, retrying while the slot is active in another session (BUSY_RETRIES waits of BUSY_WAIT_MS). */
async function whileSlotBusy<T>(slot: string, fn: () => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await fn();
    } catch (e) {
      if (!isSlotBusy(e)) throw e;
      if (retry >= BUSY_RETRIES)
        throw new ReplicationSlotBusyError(`replication slot ${quoteIdent(slot)} is in use by another session: ${(e as Error).message}`, { cause: e });
      await sleep(BUSY_WAIT_MS);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Checks and setup

interface TableRow {
  oid: number;
  relkind: string;
  columns: string[];
}

const TABLE_SQL = `
select c.oid::int8 as oid, c.relkind::text as relkind,
  array(select a.attname::text from pg_catalog.pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1::text and c.relname = $2::text`;

async function tableOf(sql: Sql, table: RelationName): Promise<TableRow | undefined> {
  const [row] = await sql.unsafe<Array<{ oid: string; relkind: string; columns: string[] }>>(TABLE_SQL, [table.schema, table.name]);
  return row ? { oid: Number(row.oid), relkind: row.relkind, columns: row.columns } : undefined;
}

// The replica identity of the table and, for a partitioned table, of every leaf partition (each
// checks its own on UPDATE/DELETE): 'f' full, 'd' the primary key, 'i' an index, 'n' nothing.
const IDENTITY_SQL = `
select c.oid::regclass::text as name, c.relkind::text as relkind, c.relreplident::text as ident,
  array(select a.attname::text from pg_catalog.pg_index i join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = c.oid and i.indisprimary) as pk,
  array(select a.attname::text from pg_catalog.pg_index i join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
        where i.indrelid = c.oid and i.indisreplident) as ident_index
from pg_catalog.pg_class c
where c.oid = $1::int8::oid
   or (c.relkind <> 'p' and c.oid in (select t.relid from pg_catalog.pg_partition_tree($1::int8::oid) t where t.isleaf))
order by c.oid = $1::int8::oid desc, 1`;

interface IdentityRow {
  name: string;
  relkind: string;
  ident: string;
  pk: string[];
  ident_index: string[];
}

/** The columns a relation's replica identity logs for UPDATE/DELETE: null when it logs all of them (FULL). */
function identityColumns(r: IdentityRow): string[] | null {
  if (r.ident === 'f') return null;
  if (r.ident === 'd') return r.pk;
  if (r.ident === 'i') return r.ident_index;
  return [];
}

const SERVER_SQL = `
select pg_catalog.current_setting('wal_level') as wal_level, pg_catalog.current_setting('max_replication_slots')::int as max_slots,
  current_user::text as role, r.rolsuper as superuser, r.rolreplication as replication,
  exists(select 1 from pg_catalog.pg_roles g where g.rolname = 'rds_replication' and pg_catalog.pg_has_role(r.oid, g.oid, 'member')) as rds_replication
from pg_catalog.pg_roles r where r.rolname = current_user`;

/**
 * Checks the server can do it: wal_level=logical, the role may create slots (superuser or REPLICATION; on RDS rds_replication),
 * the table (and, when partitioned, each partition) has a replica identity covering the key columns: FULL, or a primary key or
 * USING INDEX whose columns include every key column. Returns problems in words, each naming its fix; [] when fine.
 */
export async function replicationProblems(sql: Sql, table: RelationName, keyColumns: string[]): Promise<string[]> {
  const problems: string[] = [];
  const rel = qualifiedName(table.schema, table.name);
  const [server] =
    await sql.unsafe<Array<{ wal_level: string; max_slots: number; role: string; superuser: boolean; replication: boolean; rds_replication: boolean }>>(
      SERVER_SQL,
    );
  if (server?.wal_level !== 'logical')
    problems.push(
      `wal_level is '${server?.wal_level ?? 'unknown'}': logical replication needs wal_level = logical (ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL)`,
    );
  if (server && server.max_slots < 1)
    problems.push('max_replication_slots is 0: set it to at least 1 more than the slots in use (ALTER SYSTEM SET max_replication_slots = ..., then restart)');
  if (server && !server.superuser && !server.replication && !server.rds_replication)
    problems.push(
      `role ${quoteIdent(server.role)} may not create replication slots: it needs the REPLICATION attribute (ALTER ROLE ${quoteIdent(server.role)} REPLICATION)`,
    );
  if (keyColumns.length === 0) problems.push('no key columns given: change capture needs the key of the table');
  const t = await tableOf(sql, table);
  if (!t) return [...problems, `table ${rel} does not exist or is not visible`];
  if (t.relkind !== 'r' && t.relkind !== 'p') return [...problems, `${rel} is not a table (only tables and partitioned tables can be published)`];
  const missing = keyColumns.filter((k) => !t.columns.includes(k));
  if (missing.length) return [...problems, `key column(s) ${missing.map(quoteIdent).join(', ')} do not exist in ${rel}`];
  const keys = keyColumns.map(quoteIdent).join(', ');
  for (const r of await sql.unsafe<IdentityRow[]>(IDENTITY_SQL, [t.oid])) {
    const cols = identityColumns(r);
    if (cols === null || keyColumns.every((k) => cols.includes(k))) continue;
    const what = r.relkind === 'p' || r.name === rel ? `table ${rel}` : `partition ${r.name} of ${rel}`;
    const has =
      r.ident === 'n'
        ? 'has REPLICA IDENTITY NOTHING'
        : cols.length === 0
          ? 'has no primary key (its default replica identity)'
          : `has a replica identity on (${cols.map(quoteIdent).join(', ')})`;
    problems.push(
      `${what} ${has}, which does not cover the key columns (${keys}): deletes and key changes could not be captured. ` +
        `Make (${keys}) its primary key, or ALTER TABLE ... REPLICA IDENTITY USING INDEX <a unique index on (${keys})>, or ALTER TABLE ... REPLICA IDENTITY FULL`,
    );
  }
  return problems;
}

// What the publication is now, compared with what it should be: FOR TABLE this table only, every
// operation published, no row filter or column list (PostgreSQL 15+), partitions published as the
// root when the table is partitioned. Newer catalog columns are read through to_jsonb, so the
// statement runs on every version.
const PUBLICATION_SQL = `
select p.puballtables as all_tables, (p.pubinsert and p.pubupdate and p.pubdelete and p.pubtruncate) as all_ops,
  coalesce((pg_catalog.to_jsonb(p) ->> 'pubviaroot')::boolean, false) as via_root,
  (select count(*) from pg_catalog.pg_publication_tables t where t.pubname = p.pubname)::int as tables,
  exists(select 1 from pg_catalog.pg_publication_tables t where t.pubname = p.pubname and t.schemaname = $2::text and t.tablename = $3::text) as has_table,
  exists(select 1 from pg_catalog.pg_publication_rel pr where pr.prpubid = p.oid
    and (pg_catalog.to_jsonb(pr) ->> 'prqual' is not null or pg_catalog.to_jsonb(pr) ->> 'prattrs' is not null)) as filtered
from pg_catalog.pg_publication p where p.pubname = $1::text`;

interface PublicationRow {
  all_tables: boolean;
  all_ops: boolean;
  via_root: boolean;
  tables: number;
  has_table: boolean;
  filtered: boolean;
}

const SLOT_SQL = `
select s.plugin::text as plugin, s.slot_type::text as slot_type, (s.database = pg_catalog.current_database()) as this_database
from pg_catalog.pg_replication_slots s where s.slot_name = $1::text`;

async function createPublication(sql: postgres.Sql, names: ReplicationNames, table: RelationName, partitioned: boolean): Promise<boolean> {
  const rel = qualifiedName(table.schema, table.name);
  const options = `publish = 'insert, update, delete, truncate'${partitioned ? ', publish_via_partition_root = true' : ''}`;
  try {
    await sql.unsafe(`create publication ${quoteIdent(names.publication)} for table ${rel} with (${options})`);
    return true;
  } catch (e) {
    if (codeOf(e) === '42710') return false; // created meanwhile by a concurrent ensureReplication
    if (codeOf(e) === '42501')
      throw new Error(
        `cannot create publication ${quoteIdent(names.publication)}: ${(e as Error).message}. The role must own ${rel} and have CREATE on the database, ` +
          `or an administrator can run: CREATE PUBLICATION ${quoteIdent(names.publication)} FOR TABLE ${rel} WITH (${options})`,
        { cause: e },
      );
    throw e;
  }
}

async function dropSlot(sql: postgres.Sql, slot: string): Promise<void> {
  await whileSlotBusy(slot, () =>
    sql.unsafe(`select pg_catalog.pg_drop_replication_slot(s.slot_name) from pg_catalog.pg_replication_slots s where s.slot_name = $1::text`, [slot]),
  );
}

/**
 * Creates the publication (FOR TABLE that table only) and the pgoutput slot when missing; if the publication exists for other
 * tables, sets it to this table. Returns what it created; the slot's consistent point LSN when created. Throws a clear Error
 * naming the fix when replicationProblems has any.
 *
 * A slot that cannot be trusted to hold every change of the table since it was made (the publication was missing or had to be
 * redefined, or the slot is of another plugin or database) is dropped and made anew: `slotCreated` then tells the caller to
 * start over from a full pass. Creating a slot waits for transactions running on the server to end. `sql` must not be inside
 * a transaction.
 */
export async function ensureReplication(
  sql: postgres.Sql,
  names: ReplicationNames,
  table: RelationName,
  keyColumns: string[],
): Promise<{ slotCreated: boolean; publicationCreated: boolean; slotLsn: string | null }> {
  const problems = await replicationProblems(sql, table, keyColumns);
  if (problems.length) throw new Error(`logical replication cannot be set up for ${qualifiedName(table.schema, table.name)}: ${problems.join('; ')}`);
  const t = await tableOf(sql, table);
  if (!t) throw new SourceObjectNotFoundError(`table ${qualifiedName(table.schema, table.name)} does not exist`);
  const partitioned = t.relkind === 'p';

  let publicationCreated = false;
  const [pub] = await sql.unsafe<PublicationRow[]>(PUBLICATION_SQL, [names.publication, table.schema, table.name]);
  const asWanted = pub && !pub.all_tables && pub.all_ops && pub.tables === 1 && pub.has_table && !pub.filtered && pub.via_root === partitioned;
  if (!asWanted) {
    // Ours by name: redefined by dropping it, which also clears FOR ALL TABLES, schemas, row filters and column lists.
    if (pub) await sql.unsafe(`drop publication if exists ${quoteIdent(names.publication)}`);
    publicationCreated = await createPublication(sql, names, table, partitioned);
  }

  const [slot] = await sql.unsafe<Array<{ plugin: string | null; slot_type: string; this_database: boolean | null }>>(SLOT_SQL, [names.slot]);
  // The slot decodes its WAL with the publication as it was then: one older than the publication would miss changes (or fail).
  if (slot && (publicationCreated || slot.plugin !== 'pgoutput' || slot.slot_type !== 'logical' || !slot.this_database)) await dropSlot(sql, names.slot);
  else if (slot) return { slotCreated: false, publicationCreated, slotLsn: null };

  try {
    const [created] = await sql.unsafe<Array<{ lsn: string }>>(
      `select lsn::text as lsn from pg_catalog.pg_create_logical_replication_slot($1::text::name, 'pgoutput')`,
      [names.slot],
    );
    return { slotCreated: true, publicationCreated, slotLsn: created?.lsn ?? null };
  } catch (e) {
    if (codeOf(e) === '42710') return { slotCreated: false, publicationCreated, slotLsn: null }; // a concurrent call made it
    throw e;
  }
}

/** Drops slot and publication if they exist (a slot active in another session: wait briefly and retry, then throw). */
export async function dropReplication(sql: postgres.Sql, names: ReplicationNames): Promise<void> {
  await dropSlot(sql, names.slot);
  await sql.unsafe(`drop publication if exists ${quoteIdent(names.publication)}`);
}

/** The state of a definition's slot: how much WAL it holds back and how far its consumer is behind. */
export interface SlotStatus {
  exists: boolean;
  /** Another session has the slot acquired right now. */
  active: boolean;
  /** pg_replication_slots.wal_status: reserved | extended | unreserved | lost (lost: the slot is useless, changes are gone). */
  walStatus: string | null;
  confirmedLsn: string | null;
  restartLsn: string | null;
  /** The server's current WAL position (the replay position on a standby). */
  currentLsn: string;
  /** current - confirmed: WAL not yet consumed. */
  lagBytes: number;
  /** current - restart: WAL the slot keeps the server from removing. */
  retainedBytes: number;
  publicationExists: boolean;
}

const STATUS_SQL = `
select (case when pg_catalog.pg_is_in_recovery() then pg_catalog.pg_last_wal_replay_lsn() else pg_catalog.pg_current_wal_lsn() end)::text as current_lsn,
  exists(select 1 from pg_catalog.pg_publication p where p.pubname = $2::text) as publication_exists,
  s.slot_name is not null as exists, coalesce(s.active, false) as active, pg_catalog.to_jsonb(s) ->> 'wal_status' as wal_status,
  s.confirmed_flush_lsn::text as confirmed_lsn, s.restart_lsn::text as restart_lsn
from (select 1) one left join pg_catalog.pg_replication_slots s on s.slot_name = $1::text`;

/** The slot's and publication's state, with lag and retained WAL in bytes (0 when the slot or its position is missing). */
export async function slotStatus(sql: Sql, names: ReplicationNames): Promise<SlotStatus> {
  const [r] = await sql.unsafe<
    Array<{
      current_lsn: string;
      publication_exists: boolean;
      exists: boolean;
      active: boolean;
      wal_status: string | null;
      confirmed_lsn: string | null;
      restart_lsn: string | null;
    }>
  >(STATUS_SQL, [names.slot, names.publication]);
  if (!r) throw new Error('pg_replication_slots returned nothing');
  return {
    exists: r.exists,
    active: r.active,
    walStatus: r.wal_status,
    confirmedLsn: r.confirmed_lsn,
    restartLsn: r.restart_lsn,
    currentLsn: r.current_lsn,
    lagBytes: r.confirmed_lsn ? Math.max(0, lsnDiffBytes(r.current_lsn, r.confirmed_lsn)) : 0,
    retainedBytes: r.restart_lsn ? Math.max(0, lsnDiffBytes(r.current_lsn, r.restart_lsn)) : 0,
    publicationExists: r.publication_exists,
  };
}

// ---------------------------------------------------------------------------------------------
// Reading and consuming

/** One key's net change: its row is now there (upsert: read it) or gone (delete). */
export interface CapturedChange {
  op: 'upsert' | 'delete';
  /** Texts in keyColumns order (`col::text`). */
  key: string[];
}

/** What one peek found. */
export interface ChangeBatch {
  /** Net change per key, in commit order of each key's last change (an update that changes the key = delete of the old key + upsert of the new). */
  changes: CapturedChange[];
  /** End LSN of the last whole transaction included (advance the slot and store the cursor to this); null when nothing was read. Transactions skipped by afterLsn count too, so advancing to it also clears them. */
  endLsn: string | null;
  /** Raw decoded row changes read (inserts+updates+deletes), for counts. */
  rowChanges: number;
  /** True when the peek stopped at maxChanges (more may follow). */
  more: boolean;
  /** A TRUNCATE of the table was seen: the caller must fall back to a full pass. */
  truncated: boolean;
}

// The table's oid (relation messages are matched by it, so a rename does not lose changes) and
// whether the publication still covers it (a dropped and recreated table silently leaves it).
const PEEK_TABLE_SQL = `
select c.oid::int8 as oid,
  exists(select 1 from pg_catalog.pg_publication p where p.pubname = $3::text and (p.puballtables or exists(
    select 1 from pg_catalog.pg_publication_rel pr where pr.prpubid = p.oid and pr.prrelid = c.oid))) as published
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where n.nspname = $1::text and c.relname = $2::text`;

const PEEK_SQL = `
select data from pg_catalog.pg_logical_slot_peek_binary_changes($1::text::name, null, $2::int4, 'proto_version', '1', 'publication_names', $3::text)`;

type Tuple = Record<string, unknown> | null;

/** One transaction's changes of the table, as read. */
interface Txn {
  changes: CapturedChange[];
  rowChanges: number;
  truncated: boolean;
}

/**
 * Peeks (does not consume) whole transactions from the slot via pg_logical_slot_peek_binary_changes(slot, NULL, maxChanges,
 * 'proto_version','1','publication_names', pub), skipping transactions whose commit end LSN <= afterLsn (the caller's stored
 * cursor: changes already applied but the slot not yet advanced after a crash). Only changes of `table` count. A relation whose
 * key columns are missing from a delete's old/key tuple -> throw a clear Error (replica identity).
 *
 * maxChanges bounds the decoded messages (begin, relation and commit messages count too); a transaction is never split, so a
 * large one may exceed it.
 */
export async function peekChanges(
  sql: postgres.Sql,
  names: ReplicationNames,
  table: RelationName,
  keyColumns: string[],
  opts: { afterLsn: string | null; maxChanges: number },
): Promise<ChangeBatch> {
  const rel = qualifiedName(table.schema, table.name);
  if (keyColumns.length === 0) throw new RangeError('peekChanges needs at least one key column');
  if (!Number.isInteger(opts.maxChanges) || opts.maxChanges < 1 || opts.maxChanges > 2 ** 31 - 1)
    throw new RangeError(`maxChanges must be a positive 32-bit integer, got ${opts.maxChanges}`);
  if (opts.afterLsn !== null) lsnValue(opts.afterLsn);

  const [target] = await sql.unsafe<Array<{ oid: string; published: boolean }>>(PEEK_TABLE_SQL, [table.schema, table.name, names.publication]);
  if (!target) throw new SourceObjectNotFoundError(`table ${rel} does not exist`);
  if (!target.published)
    throw new Error(
      `publication ${quoteIdent(names.publication)} does not cover ${rel} (missing, or the table was recreated): run ensureReplication and a full pass`,
    );
  const oid = Number(target.oid);

  const rows = await whileSlotBusy(names.slot, () =>
    sql.unsafe<Array<{ data: Buffer }>>(PEEK_SQL, [names.slot, opts.maxChanges, quoteIdent(names.publication)]),
  );

  // One plugin (so one relation cache) per peek: every peek is a new decoding session, which sends each relation again.
  const plugin = new PgoutputPlugin({ protoVersion: 1, publicationNames: [names.publication] });
  const net = new Map<string, CapturedChange>();
  let endLsn: string | null = null;
  let rowChanges = 0;
  let truncated = false;
  let txn: Txn | null = null;

  const keyOf = (tuple: Tuple, what: string, fallback: Tuple = null): string[] =>
    keyColumns.map((k) => {
      const v = tuple?.[k] === undefined ? fallback?.[k] : tuple[k];
      if (v === null) throw new Error(`the ${what} of ${rel} has NULL in key column ${quoteIdent(k)}: a key column cannot be NULL`);
      if (typeof v !== 'string')
        throw new Error(
          `the ${what} of ${rel} carries no value for key column ${quoteIdent(k)}: its replica identity does not cover the key columns ` +
            `(ALTER TABLE ${rel} REPLICA IDENTITY FULL, or USING INDEX on a unique index of the key columns)`,
        );
      return v;
    });
  const record = (op: CapturedChange['op'], key: string[]) => txn?.changes.push({ op, key });

  for (const { data } of rows) {
    const msg: Pgoutput.Message = plugin.parse(data);
    switch (msg.tag) {
      case 'begin':
        txn = { changes: [], rowChanges: 0, truncated: false };
        break;
      case 'relation':
        // Keep PostgreSQL's text output: the parser caches this object and decodes later tuples with its columns' parsers.
        for (const c of msg.columns) c.parser = (text: string) => text;
        if (msg.relationOid === oid && msg.replicaIdentity !== 'full' && !keyColumns.every((k) => msg.keyColumns.includes(k)))
          throw new Error(
            `${rel} has a replica identity (${msg.replicaIdentity}: ${msg.keyColumns.map(quoteIdent).join(', ') || 'no columns'}) that does not cover ` +
              `the key columns (${keyColumns.map(quoteIdent).join(', ')}): deletes and key changes cannot be captured`,
          );
        break;
      case 'insert':
        if (msg.relation.relationOid !== oid || !txn) break;
        txn.rowChanges++;
        record('upsert', keyOf(msg.new, 'inserted row'));
        break;
      case 'update': {
        if (msg.relation.relationOid !== oid || !txn) break;
        txn.rowChanges++;
        const old = msg.key ?? msg.old;
        // An unchanged TOASTed key value is absent from the new tuple; the old key tuple then has it.
        const key = keyOf(msg.new, 'updated row', old);
        if (old) {
          const oldKey = keyOf(old, 'old key of an updated row');
          if (oldKey.some((v, i) => v !== key[i])) record('delete', oldKey);
        }
        record('upsert', key);
        break;
      }
      case 'delete':
        if (msg.relation.relationOid !== oid || !txn) break;
        txn.rowChanges++;
        record('delete', keyOf(msg.key ?? msg.old, 'deleted row'));
        break;
      case 'truncate':
        if (txn && msg.relations.some((r) => r?.relationOid === oid)) txn.truncated = true;
        break;
      case 'commit': {
        const end = msg.commitEndLsn === null ? null : pgLsn(msg.commitEndLsn);
        if (txn && end && (opts.afterLsn === null || compareLsn(end, opts.afterLsn) > 0)) {
          for (const c of txn.changes) {
            const id = JSON.stringify(c.key);
            net.delete(id); // re-inserted: the map's order is the order of each key's last change
            net.set(id, c);
          }
          rowChanges += txn.rowChanges;
          truncated ||= txn.truncated;
        }
        if (end && (endLsn === null || compareLsn(end, endLsn) > 0)) endLsn = end;
        txn = null;
        break;
      }
      default:
        break;
    }
  }
  return { changes: [...net.values()], endLsn, rowChanges, more: rows.length >= opts.maxChanges, truncated };
}

/** pg_replication_slot_advance(slot, lsn); a no-op when the slot's confirmed LSN is already past it. */
export async function advanceSlot(sql: postgres.Sql, names: ReplicationNames, lsn: string): Promise<void> {
  lsnValue(lsn);
  const confirmed = async () => {
    const [row] = await sql.unsafe<Array<{ lsn: string | null }>>(
      `select s.confirmed_flush_lsn::text as lsn from pg_catalog.pg_replication_slots s where s.slot_name = $1::text`,
      [names.slot],
    );
    if (!row) throw new SourceObjectNotFoundError(`replication slot ${quoteIdent(names.slot)} does not exist`);
    return row.lsn;
  };
  const before = await confirmed();
  if (before && compareLsn(before, lsn) >= 0) return;
  try {
    await whileSlotBusy(names.slot, () => sql.unsafe(`select pg_catalog.pg_replication_slot_advance($1::text::name, $2::text::pg_lsn)`, [names.slot, lsn]));
  } catch (e) {
    // Advanced past it meanwhile by another session ("cannot advance replication slot to X, minimum is Y").
    const now = await confirmed().catch(() => null);
    if (now && compareLsn(now, lsn) >= 0) return;
    throw e;
  }
}
