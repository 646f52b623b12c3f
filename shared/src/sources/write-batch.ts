import { MAX_WRITE_BATCH, type ChangeOutcome, type RowChange, type WriteBatch } from './writes.ts';

/*
 * The engine-neutral steps of applyChanges: checking a batch's shape, keeping one change per
 * row, and finding the rows at fault when a multi-row statement fails. Each engine's write.ts
 * builds its statements around these.
 */

/** Throws RangeError for a batch applyChanges cannot take at all (nothing is written). */
export function checkBatch(batch: WriteBatch): void {
  if (!batch || !Array.isArray(batch.changes)) throw new RangeError('a write batch needs a changes array');
  if (batch.changes.length > MAX_WRITE_BATCH) throw new RangeError(`a write batch takes at most ${MAX_WRITE_BATCH} changes (got ${batch.changes.length})`);
  if (!Array.isArray(batch.keyColumns) || batch.keyColumns.length === 0) throw new RangeError('a write batch needs key columns');
}

/** The columns a batch names besides the values it sets: keys, the version column, the hash columns (each must exist). */
export function namedColumns(batch: WriteBatch): string[] {
  return [...batch.keyColumns, ...(batch.versionColumn ? [batch.versionColumn] : []), ...(batch.hashColumns ?? [])];
}

/** The operations a batch uses (each needs its privilege). */
export function opsOf(batch: WriteBatch): Array<RowChange['op']> {
  return [...new Set(batch.changes.map((c) => c?.op).filter((op): op is RowChange['op'] => op === 'insert' || op === 'update' || op === 'delete'))];
}

/** A batch's outcomes as they are decided: one per change, in input order; `live` holds the changes still to write. */
export interface OutcomeSheet<P extends { index: number }> {
  outcomes: Array<ChangeOutcome | undefined>;
  reject: (c: { index: number }, reason: string) => void;
  live: P[];
}

/** Prepares every change (the engine's own `prepare`): those it refuses are rejected with its reason at once. */
export function prepareAll<P extends { index: number }>(
  batch: WriteBatch,
  prepare: (change: RowChange, index: number) => { ok: true; change: P } | { ok: false; reason: string },
): OutcomeSheet<P> {
  const outcomes: Array<ChangeOutcome | undefined> = new Array(batch.changes.length);
  const live: P[] = [];
  batch.changes.forEach((change, index) => {
    const prepared = prepare(change, index);
    if (prepared.ok) live.push(prepared.change);
    else outcomes[index] = { status: 'rejected', reason: prepared.reason };
  });
  return { outcomes, live, reject: (c, reason) => (outcomes[c.index] = { status: 'rejected', reason }) };
}

/** Why a change's optimistic check cannot apply to it (an insert expecting a version, a version without versionColumn ...), or null. */
export function expectationProblem(change: RowChange, batch: WriteBatch): string | null {
  const e = change.expected;
  if (e === undefined) return null;
  if ('absent' in e) return change.op === 'insert' ? null : `an ${change.op} cannot expect the row to be absent`;
  if (change.op === 'insert') return 'an insert expects no row; use an update to change an existing row';
  if ('version' in e && !batch.versionColumn) return 'expected.version needs the batch to name its versionColumn';
  if ('rowHash' in e && !batch.hashColumns?.length) return 'expected.rowHash needs the batch to name its hashColumns';
  return null;
}

/** Keeps the first change of each row; later ones are rejected (a batch changes a row once, so its outcome is unambiguous). */
export function dropRepeats<C extends { index: number }>(changes: C[], rowOf: (c: C) => string | undefined, reject: (c: C, reason: string) => void): C[] {
  const first = new Map<string, number>();
  return changes.filter((c) => {
    const row = rowOf(c);
    if (row === undefined) return true;
    const seen = first.get(row);
    if (seen === undefined) {
      first.set(row, c.index);
      return true;
    }
    reject(c, `the batch changes this row more than once (first in change ${seen + 1}); send one change per row`);
    return false;
  });
}

/** How an engine tells an error caused by one row's data (a constraint, a value, a trigger) from any other, and words it. */
export interface RowErrors {
  isRowError(err: unknown): boolean;
  reason(err: unknown): string;
}

/**
 * Runs `work` on `items`; when it fails because of a row, runs it on each half instead, down to
 * single items, which are then rejected with the database's reason. Any other error fails the
 * whole call. `savepoint` wraps each attempt (a failed statement aborts the transaction it runs
 * in) and hands `work` the connection to use inside it; omitted outside a transaction. Costs
 * two statements per level for each refused row, and nothing when no row is refused.
 */
export async function isolateRows<T, R, Conn = undefined>(
  items: T[],
  work: (part: T[], conn?: Conn) => Promise<R[]>,
  reject: (item: T, reason: string) => void,
  errors: RowErrors,
  savepoint?: <X>(fn: (conn: Conn) => Promise<X>) => Promise<X>,
): Promise<R[]> {
  if (items.length === 0) return [];
  try {
    return savepoint ? await savepoint((conn) => work(items, conn)) : await work(items);
  } catch (err) {
    if (!errors.isRowError(err)) throw err;
    if (items.length === 1) {
      reject(items[0] as T, errors.reason(err));
      return [];
    }
    const mid = Math.ceil(items.length / 2);
    return [
      ...(await isolateRows(items.slice(0, mid), work, reject, errors, savepoint)),
      ...(await isolateRows(items.slice(mid), work, reject, errors, savepoint)),
    ];
  }
}
