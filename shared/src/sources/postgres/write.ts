import type postgres from 'postgres';
import { SourceNotWritableError } from '../errors.ts';
import { canonicalValueText } from '../row-text.ts';
import { countOutcomes, type ChangeOutcome, type CurrentRow, type WriteBatch, type WriteResult } from '../writes.ts';
import { columnTypes, typeOf, type ColumnType, type RawRow } from './query.ts';
import { checkWritable } from './writable.ts';
import { isRowError, rowErrorReason } from './write-errors.ts';
import { checkBatch, dropRepeats, isolateRows, namedColumns, opsOf, prepareAll, type RowErrors } from '../write-batch.ts';
import { prepareChange, type PreparedChange } from './write-prepare.ts';
import { WriteStatements, type Written } from './write-sql.ts';

/*
 * applyChanges for PostgreSQL (writes.ts says what it promises). The steps:
 * 1. the catalog: column types, and whether the table may be written at all (writable.ts);
 * 2. each change checked and turned into texts (write-prepare.ts), then every key and value
 *    cast to its column's type in one statement, outside the transaction: a value the type
 *    refuses is found there and rejected without touching the table;
 * 3. in one transaction: the rows locked and read in one statement; each change decided against
 *    its locked row (conflict, already applied, or to write); then one statement per operation
 *    and column set (deletes, updates, inserts), each in a savepoint.
 * A statement that fails because of some row (a constraint, a trigger, a value out of range) is
 * split in halves, recursively, until the rows at fault are alone: they are rejected with the
 * database's reason and the rest is written. That costs two statements per level for each
 * refused row, and nothing when no row is refused.
 */

type Locked = { raw: RawRow; ctid: string; texts: Map<string, string | null> };

const ROW_ERRORS: RowErrors = { isRowError, reason: rowErrorReason };

const ORDER: Record<PreparedChange['op'], number> = { delete: 0, update: 1, insert: 2 };

export async function applyChanges(sql: postgres.Sql, batch: WriteBatch): Promise<WriteResult> {
  checkBatch(batch);
  const types = await columnTypes(sql, batch);
  for (const c of namedColumns(batch)) typeOf(types, batch, c);
  const ops = opsOf(batch);
  const writable = await checkWritable(sql, { schema: batch.schema, table: batch.table, keyColumns: batch.keyColumns, ops });
  if (!writable.writable) throw new SourceNotWritableError(writable.reason);

  const sheet = prepareAll(batch, (change, index) => prepareChange(change, index, batch, types, batch));
  const { outcomes, reject } = sheet;
  let live = sheet.live;

  const statements = new WriteStatements(batch, types, batch);
  if (live.length > 0) {
    const valueColumns = [...new Set(live.flatMap((c) => c.columns))].sort();
    const casts = new Map<number, { key: string[]; values: Map<string, string | null> }>();
    await isolateRows(live, async (part) => [...(await statements.casts(sql, part, valueColumns))].map(([i, cast]) => casts.set(i, cast)), reject, ROW_ERRORS);
    live = live.filter((c) => casts.has(c.index));
    live = dropRepeats(live, (c) => JSON.stringify(casts.get(c.index)?.key), reject);
    if (live.length > 0) {
      await sql.begin((tx) => writeLocked(tx, statements, live, valueColumns, casts, outcomes, reject));
    }
  }
  const done = outcomes.map((o) => o ?? { status: 'rejected' as const, reason: 'not processed' });
  // Two catalog statements (column types, writability) come before the batch's own.
  return { outcomes: done, counts: countOutcomes(done), statements: statements.count + 2 };
}

async function writeLocked(
  tx: postgres.TransactionSql,
  statements: WriteStatements,
  changes: PreparedChange[],
  valueColumns: string[],
  casts: Map<number, { key: string[]; values: Map<string, string | null> }>,
  outcomes: Array<ChangeOutcome | undefined>,
  reject: (c: { index: number }, reason: string) => void,
): Promise<void> {
  const { batch, types } = statements;
  const readColumns = [...new Set([...batch.keyColumns, ...valueColumns, ...(batch.versionColumn ? [batch.versionColumn] : []), ...(batch.hashColumns ?? [])])];
  const locked = await statements.lock(tx, changes, readColumns, valueColumns);
  // Two keys may find one row where the type's equality is looser than its text (citext).
  changes = dropRepeats(changes, (c) => locked.get(c.index)?.ctid, reject);

  const versionType = batch.versionColumn ? typeOf(types, batch, batch.versionColumn) : undefined;
  const groups = new Map<string, PreparedChange[]>();
  for (const c of changes) {
    const decided = decide(c, locked.get(c.index), casts, versionType, batch);
    if (decided) outcomes[c.index] = decided;
    else {
      const group = `${ORDER[c.op]}|${c.op}|${JSON.stringify(c.columns)}`;
      groups.set(group, [...(groups.get(group) ?? []), c]);
    }
  }
  // The statement must run on the savepoint's own handle: postgres.js holds a failure of a statement
  // issued on `tx` against the whole transaction (it rethrows at commit) even when it was caught.
  const savepoint = <X>(fn: (sql: postgres.TransactionSql) => Promise<X>) => tx.savepoint((sp) => fn(sp)) as Promise<X>;
  const desiredKeys = new Map([...casts].map(([i, c]) => [i, c.key]));
  const notInserted: PreparedChange[] = [];
  for (const group of [...groups.keys()].sort()) {
    const items = groups.get(group) as PreparedChange[];
    const op = (items[0] as PreparedChange).op;
    const written = await isolateRows<PreparedChange, Written, postgres.TransactionSql>(
      items,
      (part, sp = tx) =>
        op === 'insert' ? statements.insert(sp, part, desiredKeys) : op === 'update' ? statements.update(sp, part) : statements.delete(sp, part),
      reject,
      ROW_ERRORS,
      savepoint,
    );
    for (const w of written) outcomes[w.index] = { status: 'applied', ...stateOf(w) };
    for (const c of items) {
      if (outcomes[c.index]) continue;
      if (op === 'insert') notInserted.push(c);
      else reject(c, `the database skipped the ${op} (a trigger returned NULL, or a row-level security policy hides the row)`);
    }
  }
  if (notInserted.length > 0) {
    // Skipped by ON CONFLICT DO NOTHING: a row with the key appeared since the lock (a conflict), or another unique constraint refused it.
    const now = await statements.lock(tx, notInserted, readColumns, []);
    for (const c of notInserted) {
      const row = now.get(c.index);
      if (row) outcomes[c.index] = { status: 'conflict', current: currentRow(row.raw, versionType, batch) };
      else reject(c, 'a unique constraint other than the key refused the row (another row already has one of its unique values)');
    }
  }
}

const stateOf = (w: Written): { version?: string | null; rowHash?: string } => ({
  ...('version' in w ? { version: w.version ?? null } : {}),
  ...(w.rowHash !== undefined ? { rowHash: w.rowHash } : {}),
});

function currentRow(raw: RawRow, versionType: ColumnType | undefined, batch: WriteBatch): CurrentRow {
  return {
    key: raw.key,
    values: raw.row,
    ...(versionType ? { version: canonicalValueText(raw.watermark, versionType.family) } : {}),
    ...(batch.hashColumns?.length && raw.hash !== undefined ? { rowHash: raw.hash } : {}),
  };
}

/** The outcome decided by the locked row alone (a conflict, or nothing to do), or undefined when the change is to be written. */
function decide(
  c: PreparedChange,
  row: Locked | undefined,
  casts: Map<number, { values: Map<string, string | null> }>,
  versionType: ColumnType | undefined,
  batch: WriteBatch,
): ChangeOutcome | undefined {
  if (!row) {
    if (c.op === 'delete') return { status: 'applied', alreadyApplied: true };
    if (c.op === 'update') return { status: 'conflict', current: null };
    return undefined;
  }
  const current = currentRow(row.raw, versionType, batch);
  const wanted = casts.get(c.index)?.values;
  // Every column the change sets already holds what it would store (a retried batch, or an edit made twice).
  const same = c.op !== 'delete' && c.columns.every((col) => row.texts.get(col) === wanted?.get(col));
  const already: ChangeOutcome = { status: 'applied', alreadyApplied: true, ...stateOf({ index: c.index, ...current }) };
  if (c.op === 'insert') return same ? already : { status: 'conflict', current };
  if (!passes(c, current, versionType)) return same ? already : { status: 'conflict', current };
  return same ? already : undefined;
}

function passes(c: PreparedChange, current: CurrentRow, versionType: ColumnType | undefined): boolean {
  const e = c.expected;
  if (!e || 'absent' in e) return true;
  if ('version' in e) {
    const expected = e.version === null || e.version === undefined ? null : canonicalValueText(String(e.version), versionType?.family ?? 'other');
    return expected === (current.version ?? null);
  }
  return current.rowHash === e.rowHash;
}
