import { describe, expect, it } from 'vitest';
import type { BatchFailure, BatchResult, GraphGateway } from '@syncbridge/shared/graph';
import { KEY_COLUMN_NAME } from '@syncbridge/shared/mapping';
import { applyWrites, type AppliedWrite, type ApplyOutcome, type TargetList } from '../src/push/apply.ts';
import type { PlannedWrite, PreparedRow } from '../src/push/plan.ts';

/*
 * Table-driven unit tests of applyWrites against a fake of the gateway methods it uses:
 * no network, no database. The fake behaves like a SharePoint list with a unique
 * SyncBridgeKey column (an update of a missing item answers 404, a create of a key the list
 * holds answers 409, a delete of a missing item is reported done as the real gateway's
 * deleteItems does) and answers scripted failures per method, list and key.
 */

type Gateway = Pick<GraphGateway, 'createItems' | 'updateItems' | 'deleteItems' | 'listItems'>;
type Method = 'create' | 'update' | 'delete' | 'list';
type ListItem = ReturnType<GraphGateway['listItems']> extends AsyncIterable<Array<infer T>> ? T : never;

interface Call {
  method: Method;
  listId: string;
  /** Request ids (row keys); for `list`, the keys named in the $filter. */
  keys: string[];
  options: Record<string, unknown>;
}

interface Scripted {
  status: number;
  code: string;
  retryable: boolean;
  message?: string;
}

/** When to cancel the run: before anything, or at a call (`inFlight`: the request is aborted; otherwise it completes first). */
type AbortAt = { before: true } | { method: Method; listId: string; inFlight: boolean };

const abortError = () => new DOMException('This operation was aborted', 'AbortError');

class FakeGateway implements Gateway {
  readonly calls: Call[] = [];
  /** listId -> itemId -> item. */
  private readonly lists = new Map<string, Map<string, { key: string; version: number }>>();
  private readonly script = new Map<string, Scripted>();
  abortAt: { method: Method; listId: string; inFlight: boolean; controller: AbortController } | null = null;

  seed(listId: string, key: string, itemId: string): this {
    this.list(listId).set(itemId, { key, version: 1 });
    return this;
  }

  /** The next answer of `method` on `listId` for `key` is this failure. */
  fail(method: Exclude<Method, 'list'>, listId: string, key: string, failure: Scripted): this {
    this.script.set(`${method} ${listId} ${key}`, failure);
    return this;
  }

  /** The keys each list holds now, sorted. */
  contents(): Record<string, string[]> {
    const ids = new Set(['list-a', 'list-b', ...this.lists.keys()]);
    return Object.fromEntries([...ids].map((listId) => [listId, [...this.list(listId).values()].map((i) => i.key).sort()]));
  }

  /** Calls that reached Graph, one line each (an empty call sends no request). */
  log(): string[] {
    return this.calls.filter((c) => c.keys.length > 0 || c.method === 'list').map((c) => `${c.method} ${c.listId} ${c.keys.join(',')}`);
  }

  private list(listId: string) {
    let items = this.lists.get(listId);
    if (!items) this.lists.set(listId, (items = new Map()));
    return items;
  }

  private enter(method: Method, listId: string, keys: string[], options: { signal?: AbortSignal } & Record<string, unknown>): void {
    if (options.signal?.aborted) throw abortError();
    this.calls.push({ method, listId, keys, options });
    const at = this.abortAt;
    if (at && at.method === method && at.listId === listId) {
      this.abortAt = null;
      at.controller.abort();
      if (at.inFlight) throw abortError();
    }
  }

  private scripted(method: Method, listId: string, id: string): BatchFailure | null {
    const key = `${method} ${listId} ${id}`;
    const s = this.script.get(key);
    if (!s) return null;
    this.script.delete(key);
    return { id, ok: false, status: s.status, code: s.code, message: s.message ?? `scripted ${s.status}`, retryable: s.retryable };
  }

  private findKey(listId: string, key: string): [string, { key: string; version: number }] | undefined {
    return [...this.list(listId)].find(([, item]) => item.key === key);
  }

  async createItems(...[, listId, toCreate, options = {}]: Parameters<GraphGateway['createItems']>): Promise<BatchResult[]> {
    this.enter(
      'create',
      listId,
      toCreate.map((c) => c.id),
      { ...options },
    );
    return toCreate.map((c): BatchResult => {
      const failure = this.scripted('create', listId, c.id);
      if (failure) return failure;
      const key = String(c.fields[KEY_COLUMN_NAME]);
      if (this.findKey(listId, key))
        return { id: c.id, ok: false, status: 409, code: 'nameAlreadyExists', message: 'The unique column already has this value', retryable: false };
      const itemId = `new:${listId}:${key}`;
      this.list(listId).set(itemId, { key, version: 1 });
      return { id: c.id, ok: true, status: 201, body: { id: itemId, '@odata.etag': `"${itemId},1"` }, etag: `"${itemId},1"` };
    });
  }

  async updateItems(...[, listId, updates, options = {}]: Parameters<GraphGateway['updateItems']>): Promise<BatchResult[]> {
    this.enter(
      'update',
      listId,
      updates.map((u) => u.id),
      { ...options },
    );
    return updates.map((u): BatchResult => {
      const failure = this.scripted('update', listId, u.id);
      if (failure) return failure;
      const item = this.list(listId).get(u.itemId);
      if (!item) return { id: u.id, ok: false, status: 404, code: 'itemNotFound', message: 'Item not found', retryable: false };
      item.version += 1;
      // The eTag only in the body: apply reads it from there as well.
      return { id: u.id, ok: true, status: 200, body: { ...u.fields, '@odata.etag': `"${u.itemId},${item.version}"` } };
    });
  }

  async deleteItems(...[, listId, deletes, options = {}]: Parameters<GraphGateway['deleteItems']>): Promise<BatchResult[]> {
    this.enter(
      'delete',
      listId,
      deletes.map((d) => d.id),
      { ...options },
    );
    return deletes.map((d): BatchResult => {
      const failure = this.scripted('delete', listId, d.id);
      if (failure) return failure;
      // The real deleteItems reports a 404 as done (`ok` with status 404).
      return this.list(listId).delete(d.itemId) ? { id: d.id, ok: true, status: 204, body: null } : { id: d.id, ok: true, status: 404, body: null };
    });
  }

  async *listItems(...[, listId, options = {}]: Parameters<GraphGateway['listItems']>): AsyncGenerator<ListItem[]> {
    const wanted = [...(options.filter ?? '').matchAll(new RegExp(`fields/${KEY_COLUMN_NAME} eq '([^']*)'`, 'g'))].map((m) => m[1]!);
    this.enter('list', listId, wanted, { ...options });
    const page = wanted.flatMap((key) => {
      const found = this.findKey(listId, key);
      return found ? [{ id: found[0], '@odata.etag': `"${found[0]},${found[1].version}"`, fields: { [KEY_COLUMN_NAME]: key } } as unknown as ListItem] : [];
    });
    yield page;
  }
}

// Targets: t-a and t-b on one connection (one gateway), lists list-a and list-b.
function listsFor(fake: FakeGateway): Map<string, TargetList> {
  const graph = fake as unknown as GraphGateway;
  return new Map([
    ['t-a', { id: 't-a', siteId: 'site-1', listId: 'list-a', graph }],
    ['t-b', { id: 't-b', siteId: 'site-1', listId: 'list-b', graph }],
  ]);
}
const LIST_OF: Record<string, string> = { 't-a': 'list-a', 't-b': 'list-b' };

const prepared = (key: string, targetId: string): PreparedRow => ({
  sourceKey: key,
  targetId,
  fields: { [KEY_COLUMN_NAME]: key, Title: key, name: `name of ${key}` },
  hash: `hash-${key}`,
});
const create = (key: string, targetId = 't-a'): PlannedWrite => ({ kind: 'create', row: prepared(key, targetId) });
const update = (key: string, listItemId: string, targetId = 't-a', rekeyFrom?: string): PlannedWrite => ({
  kind: 'update',
  row: prepared(key, targetId),
  listItemId,
  ...(rekeyFrom ? { rekeyFrom } : {}),
});
const move = (key: string, targetId: string, from: { targetId: string; listItemId: string }, rekeyFrom?: string): PlannedWrite => ({
  kind: 'move',
  row: prepared(key, targetId),
  from,
  ...(rekeyFrom ? { rekeyFrom } : {}),
});

/** What applyWrites should report for a write that landed as `itemId` at `version`. */
function applied(w: PlannedWrite, itemId: string, version: number, kind: AppliedWrite['kind'] = w.kind): AppliedWrite {
  return {
    kind,
    sourceKey: w.row.sourceKey,
    targetId: w.row.targetId,
    listItemId: itemId,
    etag: `"${itemId},${version}"`,
    hash: w.row.hash,
    ...(w.kind === 'move' ? { from: w.from } : {}),
    ...(w.kind !== 'create' && w.rekeyFrom ? { rekeyFrom: w.rekeyFrom } : {}),
  };
}
/** The id the fake gives an item it creates. */
const newId = (w: PlannedWrite) => `new:${LIST_OF[w.row.targetId]}:${w.row.sourceKey}`;

const CANCELLED = 'not written: the run was cancelled';
const THROTTLED: Scripted = { status: 429, code: 'tooManyRequests', retryable: true, message: 'Too many requests' };
const UNAVAILABLE: Scripted = { status: 503, code: 'serviceNotAvailable', retryable: true, message: 'Service unavailable' };
const BAD_REQUEST: Scripted = { status: 400, code: 'invalidRequest', retryable: false, message: 'Field amount is not recognized' };
const FORBIDDEN: Scripted = { status: 403, code: 'accessDenied', retryable: false, message: 'Access denied' };
const DUPLICATE: Scripted = { status: 409, code: 'nameAlreadyExists', retryable: false, message: 'Duplicate value in a unique column' };

interface ApplyCase {
  name: string;
  writes: PlannedWrite[];
  setup?: (fake: FakeGateway) => void;
  abort?: AbortAt;
  expected: {
    applied?: AppliedWrite[];
    quarantined?: ApplyOutcome['quarantined'];
    transient?: ApplyOutcome['transient'];
    /** The fake's call log (see FakeGateway.log). */
    calls: string[];
    /** The lists' keys afterwards. */
    contents?: Record<string, string[]>;
  };
}

const keys = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(2, '0')}`);

// Fixed writes, reused by the cases and their expectations.
const C1 = create('k1');
const C2 = create('k2');
const U3 = update('k3', '30');
const U4 = update('k4', '40', 't-a', 'legacy-k4');
const M5 = move('k5', 't-b', { targetId: 't-a', listItemId: '50' }, 'legacy-k5');
const M6 = move('k6', 't-b', { targetId: 't-a', listItemId: '60' });

const many = {
  createsA: keys('ca', 3).map((k) => create(k, 't-a')),
  updatesA: keys('ua', 2).map((k, i) => update(k, `ua-${i}`, 't-a')),
  createsB: keys('cb', 2).map((k) => create(k, 't-b')),
  updatesB: keys('ub', 1).map((k, i) => update(k, `ub-${i}`, 't-b')),
  movesAB: keys('mab', 2).map((k, i) => move(k, 't-b', { targetId: 't-a', listItemId: `mab-${i}` })),
  movesBA: keys('mba', 1).map((k, i) => move(k, 't-a', { targetId: 't-b', listItemId: `mba-${i}` })),
};
const seedMany = (fake: FakeGateway) => {
  many.updatesA.forEach((w, i) => fake.seed('list-a', w.row.sourceKey, `ua-${i}`));
  many.updatesB.forEach((w, i) => fake.seed('list-b', w.row.sourceKey, `ub-${i}`));
  many.movesAB.forEach((w, i) => fake.seed('list-a', w.row.sourceKey, `mab-${i}`));
  many.movesBA.forEach((w, i) => fake.seed('list-b', w.row.sourceKey, `mba-${i}`));
};
const conflicts = keys('dup', 16).map((k) => create(k));

const cases: ApplyCase[] = [
  // Success paths
  {
    name: 'creates succeed: applied with their item ids and eTags',
    writes: [C1, C2],
    expected: { applied: [applied(C1, newId(C1), 1), applied(C2, newId(C2), 1)], calls: ['create list-a k1,k2'], contents: { 'list-a': ['k1', 'k2'] } },
  },
  {
    name: 'updates succeed (rekeyFrom kept); the eTag is read from the body as well',
    writes: [U3, U4],
    setup: (f) => f.seed('list-a', 'k3', '30').seed('list-a', 'legacy-k4', '40'),
    expected: { applied: [applied(U3, '30', 2), applied(U4, '40', 2)], calls: ['update list-a k3,k4'] },
  },
  {
    name: 'an update answering 404 (deleted in SharePoint) is created again, in the same call as the creates: applied as create, rekeyFrom kept',
    writes: [U4, U3, C1],
    setup: (f) => f.seed('list-a', 'k3', '30'),
    expected: {
      applied: [applied(U3, '30', 2), applied(U4, newId(U4), 1, 'create'), applied(C1, newId(C1), 1)],
      calls: ['update list-a k4,k3', 'create list-a k1,k4'],
      contents: { 'list-a': ['k1', 'k3', 'k4'] },
    },
  },
  {
    name: 'a create answering 409 is adopted: found by its key, then updated',
    writes: [C1, C2],
    setup: (f) => f.seed('list-a', 'k1', '17'), // a create of an earlier attempt that landed unrecorded
    expected: {
      applied: [applied(C2, newId(C2), 1), applied(C1, '17', 2)],
      calls: ['create list-a k1,k2', 'list list-a k1', 'update list-a k1'],
      contents: { 'list-a': ['k1', 'k2'] },
    },
  },
  {
    name: 'an update answering 404 whose re-create answers 409 is adopted too (rekeyFrom kept)',
    writes: [U4],
    setup: (f) => f.seed('list-a', 'k4', '18'),
    expected: { applied: [applied(U4, '18', 2, 'create')], calls: ['update list-a k4', 'create list-a k4', 'list list-a k4', 'update list-a k4'] },
  },
  {
    name: 'a 409 with no item found is quarantined',
    writes: [C1, C2],
    setup: (f) => f.fail('create', 'list-a', 'k1', DUPLICATE),
    expected: {
      applied: [applied(C2, newId(C2), 1)],
      quarantined: [{ sourceKey: 'k1', reason: 'SharePoint refused the item as a duplicate, but no item with its key was found' }],
      calls: ['create list-a k1,k2', 'list list-a k1'],
    },
  },
  {
    name: 'the 409 lookups go 15 keys per $filter, the adoption is one update call',
    writes: conflicts,
    setup: (f) => conflicts.forEach((w, i) => f.seed('list-a', w.row.sourceKey, `d${i}`)),
    expected: {
      applied: conflicts.map((w, i) => applied(w, `d${i}`, 2)),
      calls: [
        `create list-a ${keys('dup', 16).join(',')}`,
        `list list-a ${keys('dup', 15).join(',')}`,
        'list list-a dup16',
        `update list-a ${keys('dup', 16).join(',')}`,
      ],
    },
  },

  // Failures
  {
    name: 'a 429 or 503 (retryable) is transient',
    writes: [C1, U3, C2],
    setup: (f) => f.seed('list-a', 'k3', '30').fail('create', 'list-a', 'k1', THROTTLED).fail('update', 'list-a', 'k3', UNAVAILABLE),
    expected: {
      applied: [applied(C2, newId(C2), 1)],
      transient: [
        { sourceKey: 'k3', message: 'Graph answered 503 serviceNotAvailable: Service unavailable' },
        { sourceKey: 'k1', message: 'Graph answered 429 tooManyRequests: Too many requests' },
      ],
      calls: ['update list-a k3', 'create list-a k1,k2'],
    },
  },
  {
    name: 'a 400 is quarantined with status and code in detail',
    writes: [C1, U3],
    setup: (f) => f.seed('list-a', 'k3', '30').fail('create', 'list-a', 'k1', BAD_REQUEST).fail('update', 'list-a', 'k3', FORBIDDEN),
    expected: {
      quarantined: [
        { sourceKey: 'k3', reason: 'Graph answered 403 accessDenied: Access denied', detail: { status: 403, code: 'accessDenied' } },
        { sourceKey: 'k1', reason: 'Graph answered 400 invalidRequest: Field amount is not recognized', detail: { status: 400, code: 'invalidRequest' } },
      ],
      calls: ['update list-a k3', 'create list-a k1'],
    },
  },
  {
    name: 'a retryable failure of the adoption update is transient',
    writes: [C1],
    setup: (f) => f.seed('list-a', 'k1', '17').fail('update', 'list-a', 'k1', THROTTLED),
    expected: {
      transient: [{ sourceKey: 'k1', message: 'Graph answered 429 tooManyRequests: Too many requests' }],
      calls: ['create list-a k1', 'list list-a k1', 'update list-a k1'],
    },
  },

  // Moves
  {
    name: 'a move creates in the new list, then deletes in the old, and counts once both happened',
    writes: [M5, M6],
    setup: (f) => f.seed('list-a', 'legacy-k5', '50').seed('list-a', 'k6', '60'),
    expected: {
      applied: [applied(M5, newId(M5), 1), applied(M6, newId(M6), 1)],
      calls: ['create list-b k5,k6', 'delete list-a k5,k6'],
      contents: { 'list-a': [], 'list-b': ['k5', 'k6'] },
    },
  },
  {
    name: 'a move whose original is gone already (delete 404) counts',
    writes: [M6],
    expected: { applied: [applied(M6, newId(M6), 1)], calls: ['create list-b k6', 'delete list-a k6'] },
  },
  {
    name: 'a move from a target no longer in the definition counts (there is no list to delete from)',
    writes: [move('k8', 't-a', { targetId: 't-gone', listItemId: '80' })],
    expected: { applied: [applied(move('k8', 't-a', { targetId: 't-gone', listItemId: '80' }), 'new:list-a:k8', 1)], calls: ['create list-a k8'] },
  },
  {
    name: 'a move whose create is adopted (409) still deletes the original',
    writes: [M6],
    setup: (f) => f.seed('list-a', 'k6', '60').seed('list-b', 'k6', '61'),
    expected: {
      applied: [applied(M6, '61', 2)],
      calls: ['create list-b k6', 'list list-b k6', 'update list-b k6', 'delete list-a k6'],
      contents: { 'list-a': [], 'list-b': ['k6'] },
    },
  },
  {
    name: 'a move whose delete fails retryably is transient (the new item exists, the old one stays)',
    writes: [M5, M6],
    setup: (f) => f.seed('list-a', 'k5', '50').seed('list-a', 'k6', '60').fail('delete', 'list-a', 'k6', UNAVAILABLE),
    expected: {
      applied: [applied(M5, newId(M5), 1)],
      transient: [{ sourceKey: 'k6', message: 'Graph answered 503 serviceNotAvailable: Service unavailable' }],
      calls: ['create list-b k5,k6', 'delete list-a k5,k6'],
      contents: { 'list-a': ['k6'], 'list-b': ['k5', 'k6'] },
    },
  },
  {
    name: 'a move whose delete fails permanently is quarantined',
    writes: [M6],
    setup: (f) => f.seed('list-a', 'k6', '60').fail('delete', 'list-a', 'k6', FORBIDDEN),
    expected: {
      quarantined: [{ sourceKey: 'k6', reason: 'Graph answered 403 accessDenied: Access denied', detail: { status: 403, code: 'accessDenied' } }],
      calls: ['create list-b k6', 'delete list-a k6'],
    },
  },
  {
    name: 'a move whose create fails never deletes the original',
    writes: [M5, M6],
    setup: (f) => f.seed('list-a', 'k5', '50').seed('list-a', 'k6', '60').fail('create', 'list-b', 'k5', BAD_REQUEST).fail('create', 'list-b', 'k6', THROTTLED),
    expected: {
      quarantined: [
        { sourceKey: 'k5', reason: 'Graph answered 400 invalidRequest: Field amount is not recognized', detail: { status: 400, code: 'invalidRequest' } },
      ],
      transient: [{ sourceKey: 'k6', message: 'Graph answered 429 tooManyRequests: Too many requests' }],
      calls: ['create list-b k5,k6'],
      contents: { 'list-a': ['k5', 'k6'], 'list-b': [] },
    },
  },

  // Grouping
  {
    name: 'grouping: one update and one create call per list, one delete call per list moved from',
    writes: [...many.createsA, ...many.updatesB, ...many.movesAB, ...many.updatesA, ...many.createsB, ...many.movesBA],
    setup: seedMany,
    expected: {
      applied: [
        ...many.updatesA.map((w, i) => applied(w, `ua-${i}`, 2)),
        ...many.createsA.map((w) => applied(w, newId(w), 1)),
        ...many.updatesB.map((w, i) => applied(w, `ub-${i}`, 2)),
        ...many.createsB.map((w) => applied(w, newId(w), 1)),
        ...many.movesAB.map((w) => applied(w, newId(w), 1)),
        ...many.movesBA.map((w) => applied(w, newId(w), 1)),
      ],
      calls: [
        'update list-a ua01,ua02',
        'create list-a ca01,ca02,ca03,mba01',
        'update list-b ub01',
        'create list-b mab01,mab02,cb01,cb02',
        // Per list moved from, in the order the new items were created.
        'delete list-b mba01',
        'delete list-a mab01,mab02',
      ],
      contents: {
        'list-a': ['ca01', 'ca02', 'ca03', 'mba01', 'ua01', 'ua02'],
        'list-b': ['cb01', 'cb02', 'mab01', 'mab02', 'ub01'],
      },
    },
  },

  // Cancellation
  {
    name: 'cancelled before it starts: nothing is sent, every write is transient',
    writes: [C1, U3, M5],
    abort: { before: true },
    expected: {
      transient: [
        { sourceKey: 'k1', message: CANCELLED },
        { sourceKey: 'k3', message: CANCELLED },
        { sourceKey: 'k5', message: CANCELLED },
      ],
      calls: [],
    },
  },
  {
    name: 'cancelled during a call (request aborted): what completed is applied, the rest transient',
    writes: [C1, U3, M6, create('k7', 't-b')],
    setup: (f) => f.seed('list-a', 'k3', '30').seed('list-a', 'k6', '60'),
    abort: { method: 'create', listId: 'list-b', inFlight: true },
    expected: {
      applied: [applied(U3, '30', 2), applied(C1, newId(C1), 1)],
      transient: [
        { sourceKey: 'k6', message: CANCELLED },
        { sourceKey: 'k7', message: CANCELLED },
      ],
      calls: ['update list-a k3', 'create list-a k1', 'create list-b k6,k7'],
      contents: { 'list-a': ['k1', 'k3', 'k6'], 'list-b': [] },
    },
  },
  {
    name: 'cancelled while a call completes: its results count, the next list and the deletes are not sent',
    writes: [M6, create('k7', 't-b'), C1],
    setup: (f) => f.seed('list-a', 'k6', '60'),
    abort: { method: 'create', listId: 'list-b', inFlight: false },
    expected: {
      applied: [applied(create('k7', 't-b'), 'new:list-b:k7', 1)],
      transient: [
        { sourceKey: 'k6', message: CANCELLED },
        { sourceKey: 'k1', message: CANCELLED },
      ],
      calls: ['create list-b k6,k7'],
      contents: { 'list-a': ['k6'], 'list-b': ['k6', 'k7'] },
    },
  },
  {
    name: 'cancelled during the deletes of moves: the moves are transient, the rest applied',
    writes: [C1, M6],
    setup: (f) => f.seed('list-a', 'k6', '60'),
    abort: { method: 'delete', listId: 'list-a', inFlight: true },
    expected: {
      applied: [applied(C1, newId(C1), 1)],
      transient: [{ sourceKey: 'k6', message: CANCELLED }],
      calls: ['create list-a k1', 'create list-b k6', 'delete list-a k6'],
    },
  },
  {
    name: 'cancelled during the 409 lookup: the conflicted create is transient',
    writes: [C1, C2],
    setup: (f) => f.seed('list-a', 'k1', '17'),
    abort: { method: 'list', listId: 'list-a', inFlight: true },
    expected: { applied: [applied(C2, newId(C2), 1)], transient: [{ sourceKey: 'k1', message: CANCELLED }], calls: ['create list-a k1,k2', 'list list-a k1'] },
  },
  {
    name: 'a permanent failure answered while the run is being cancelled is transient, not quarantined',
    writes: [C1, C2],
    setup: (f) => f.fail('create', 'list-a', 'k1', BAD_REQUEST),
    abort: { method: 'create', listId: 'list-a', inFlight: false },
    expected: {
      applied: [applied(C2, newId(C2), 1)],
      transient: [{ sourceKey: 'k1', message: 'Graph answered 400 invalidRequest: Field amount is not recognized' }],
      calls: ['create list-a k1,k2'],
    },
  },
];

const byKey = <T extends { sourceKey: string }>(xs: readonly T[]) =>
  [...xs].sort((a, b) => (a.sourceKey < b.sourceKey ? -1 : a.sourceKey > b.sourceKey ? 1 : 0));

describe('applyWrites', () => {
  it.each(cases)('$name', async ({ writes, setup, abort, expected }) => {
    const fake = new FakeGateway();
    setup?.(fake);
    const controller = new AbortController();
    if (abort && 'before' in abort) controller.abort();
    else if (abort) fake.abortAt = { ...abort, controller };
    const outcome = await applyWrites(writes, listsFor(fake), { signal: controller.signal });

    expect(fake.log()).toEqual(expected.calls);
    expect(byKey(outcome.applied)).toEqual(byKey(expected.applied ?? []));
    expect(byKey(outcome.quarantined)).toEqual(byKey(expected.quarantined ?? []));
    expect(byKey(outcome.transient)).toEqual(byKey(expected.transient ?? []));
    if (expected.contents) expect(fake.contents()).toMatchObject(expected.contents);
    // Every write is reported exactly once.
    const reported = [...outcome.applied, ...outcome.quarantined, ...outcome.transient].map((x) => x.sourceKey).sort();
    expect(reported).toEqual(writes.map((w) => w.row.sourceKey).sort());
  });

  it('passes the key column to createItems (lost creates are looked up, never duplicated) and the signal to every call', async () => {
    const fake = new FakeGateway().seed('list-a', 'k3', '30').seed('list-a', 'k1', '17').seed('list-a', 'k6', '60');
    const controller = new AbortController();
    await applyWrites([C1, U3, M6], listsFor(fake), { signal: controller.signal });
    const create = fake.calls.filter((c) => c.method === 'create');
    expect(create.map((c) => c.options.keyField)).toEqual([KEY_COLUMN_NAME, KEY_COLUMN_NAME]);
    for (const c of fake.calls) expect(c.options.signal).toBe(controller.signal);
    const lookup = fake.calls.find((c) => c.method === 'list')!;
    expect(lookup.options).toMatchObject({ filter: `fields/${KEY_COLUMN_NAME} eq 'k1'`, fields: [KEY_COLUMN_NAME] });
  });

  it('sends the planned fields and item ids', async () => {
    const fake = new FakeGateway().seed('list-a', 'k3', '30');
    const sent: unknown[] = [];
    const spy: Gateway = {
      createItems: (...args) => {
        sent.push(['create', args[2]]);
        return fake.createItems(...args);
      },
      updateItems: (...args) => {
        sent.push(['update', args[2]]);
        return fake.updateItems(...args);
      },
      deleteItems: (...args) => fake.deleteItems(...args),
      listItems: (...args) => fake.listItems(...args),
    };
    const lists = new Map([['t-a', { id: 't-a', siteId: 'site-1', listId: 'list-a', graph: spy as unknown as GraphGateway }]]);
    await applyWrites([C1, U3], lists);
    expect(sent).toEqual([
      ['update', [{ id: 'k3', itemId: '30', fields: U3.row.fields }]],
      ['create', [{ id: 'k1', fields: C1.row.fields }]],
    ]);
  });

  it('without a signal or heartbeat it still writes', async () => {
    const fake = new FakeGateway();
    const outcome = await applyWrites([C1], listsFor(fake));
    expect(outcome).toEqual({ applied: [applied(C1, newId(C1), 1)], quarantined: [], transient: [] });
    expect(fake.calls[0]!.options.signal).toBeUndefined();
  });

  it('heartbeats after the writes of each list', async () => {
    const fake = new FakeGateway().seed('list-a', 'k3', '30');
    let beats = 0;
    await applyWrites([C1, U3, create('k7', 't-b')], listsFor(fake), { heartbeat: () => void beats++ });
    expect(beats).toBeGreaterThanOrEqual(3);
  });

  it('rethrows an error that is not a cancellation', async () => {
    const fake = new FakeGateway();
    fake.createItems = () => Promise.reject(new TypeError('boom'));
    await expect(applyWrites([C1], listsFor(fake))).rejects.toThrow('boom');
  });
});
