import type { BatchFailure, BatchResult, GraphGateway } from '@syncbridge/shared/graph';
import { KEY_COLUMN_NAME } from '@syncbridge/shared/mapping';
import type { PlannedWrite, Quarantined } from './plan.ts';

export interface TargetList {
  id: string;
  siteId: string;
  listId: string;
  graph: GraphGateway;
}

export interface AppliedWrite {
  kind: 'create' | 'update' | 'move';
  sourceKey: string;
  targetId: string;
  listItemId: string;
  etag: string | null;
  hash: string;
  from?: { targetId: string; listItemId: string };
  /** The ledger entry this write takes over (the row's key as an earlier version wrote it). */
  rekeyFrom?: string;
}

export interface ApplyOutcome {
  applied: AppliedWrite[];
  quarantined: Quarantined[];
  /** Writes that failed for reasons a retry can fix (throttling, 5xx, timeouts, a cancelled run). */
  transient: Array<{ sourceKey: string; message: string }>;
}

export interface ApplyOptions {
  heartbeat?: () => void;
  /**
   * Aborts waiting and requests in flight (a cancelled run, a draining worker). Writes that
   * did not complete are reported transient: the caller commits what was applied, and a
   * later run repeats the rest (a create is found by its key, so nothing is duplicated).
   */
  signal?: AbortSignal;
}

/** Appends to the group of `key`, creating it: linear in the number of items. */
export function groupInto<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const group = map.get(key);
  if (group) group.push(value);
  else map.set(key, [value]);
}

const itemIdOf = (r: BatchResult & { ok: true }) => String((r.body as { id?: unknown } | null)?.id ?? '');
/** The eTag a write answered with (the response's ETag, or the body's). */
export const etagOf = (r: BatchResult & { ok: true }) => {
  const body = (r.body ?? {}) as { '@odata.etag'?: string; eTag?: string };
  return r.etag ?? body['@odata.etag'] ?? body.eTag ?? null;
};
const describe = (f: BatchFailure) => `Graph answered ${f.status} ${f.code}: ${f.message}`;
const isAbort = (err: unknown, signal: AbortSignal | undefined) => signal?.aborted === true || (err as { name?: string } | null)?.name === 'AbortError';

/** Chunks of keys per `$filter ... or ...` lookup; Graph allows a handful of or-clauses per filter. */
const LOOKUP_CHUNK = 15;

/** Items already holding these keys (a create that landed before its result was recorded). */
async function findByKeys(list: TargetList, keys: string[], signal?: AbortSignal): Promise<Map<string, { id: string; etag: string | null }>> {
  const found = new Map<string, { id: string; etag: string | null }>();
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const chunk = keys.slice(i, i + LOOKUP_CHUNK);
    const filter = chunk.map((k) => `fields/${KEY_COLUMN_NAME} eq '${k.replace(/'/g, "''")}'`).join(' or ');
    for await (const page of list.graph.listItems(list.siteId, list.listId, { filter, fields: [KEY_COLUMN_NAME], top: 100, ...(signal ? { signal } : {}) })) {
      for (const item of page) {
        const key = (item.fields as Record<string, unknown> | undefined)?.[KEY_COLUMN_NAME];
        if (typeof key === 'string' && item.id) found.set(key, { id: item.id, etag: (item as { '@odata.etag'?: string })['@odata.etag'] ?? item.eTag ?? null });
      }
    }
  }
  return found;
}

/**
 * Executes planned writes per target list through `$batch`: creates (with the
 * gateway's lookup-before-recreate for lost responses), updates, and moves
 * (create in the new list, then delete from the old; the move counts only when
 * both happened). Failures are sorted into permanent (quarantine) and transient.
 */
export async function applyWrites(writes: PlannedWrite[], lists: Map<string, TargetList>, opts: ApplyOptions = {}): Promise<ApplyOutcome> {
  const run = new WriteRun(lists, opts);
  try {
    await run.execute(writes);
  } catch (err) {
    if (!isAbort(err, opts.signal)) throw err;
  }
  // Whatever an abort left undone is for a later run.
  for (const w of writes) if (!run.settled.has(w)) run.out.transient.push({ sourceKey: w.row.sourceKey, message: 'not written: the run was cancelled' });
  return run.out;
}

type Move = PlannedWrite & { kind: 'move' };

class WriteRun {
  readonly out: ApplyOutcome = { applied: [], quarantined: [], transient: [] };
  readonly settled = new Set<PlannedWrite>();
  private readonly movesCreated: Array<{ w: Move; listItemId: string; etag: string | null }> = [];
  private readonly graphOptions: { signal?: AbortSignal };

  constructor(
    private readonly lists: Map<string, TargetList>,
    private readonly opts: ApplyOptions,
  ) {
    this.graphOptions = opts.signal ? { signal: opts.signal } : {};
  }

  async execute(writes: PlannedWrite[]): Promise<void> {
    const byTarget = new Map<string, PlannedWrite[]>();
    for (const w of writes) groupInto(byTarget, w.row.targetId, w);
    for (const [targetId, group] of byTarget) {
      if (this.opts.signal?.aborted) return;
      await this.writeToList(this.lists.get(targetId)!, group);
    }
    await this.deleteMovedOriginals();
  }

  private fail(w: PlannedWrite, f: BatchFailure): void {
    this.settled.add(w);
    if (f.retryable || this.opts.signal?.aborted) this.out.transient.push({ sourceKey: w.row.sourceKey, message: describe(f) });
    else this.out.quarantined.push({ sourceKey: w.row.sourceKey, reason: describe(f), detail: { status: f.status, code: f.code } });
  }

  /** `asCreate`: an update whose item was gone and was created again. */
  private done(w: PlannedWrite, list: TargetList, listItemId: string, etag: string | null, asCreate = false): void {
    if (w.kind === 'move') {
      this.movesCreated.push({ w, listItemId, etag });
      return;
    }
    this.settled.add(w);
    const rekey = w.kind === 'update' && w.rekeyFrom ? { rekeyFrom: w.rekeyFrom } : {};
    this.out.applied.push({ kind: asCreate ? 'create' : w.kind, sourceKey: w.row.sourceKey, targetId: list.id, listItemId, etag, hash: w.row.hash, ...rekey });
  }

  private async writeToList(list: TargetList, group: PlannedWrite[]): Promise<void> {
    const heartbeat = this.opts.heartbeat ?? (() => {});
    const updates = group.filter((w): w is PlannedWrite & { kind: 'update' } => w.kind === 'update');
    const recreated = new Set<PlannedWrite>();
    if (updates.length) {
      const results = await list.graph.updateItems(
        list.siteId,
        list.listId,
        updates.map((w) => ({ id: w.row.sourceKey, itemId: w.listItemId, fields: w.row.fields })),
        this.graphOptions,
      );
      results.forEach((r, i) => {
        const w = updates[i]!;
        if (r.ok) this.done(w, list, w.listItemId, etagOf(r));
        else if (r.status === 404)
          recreated.add(w); // deleted in SharePoint: put it back
        else this.fail(w, r);
      });
      heartbeat();
    }
    const toCreate = [...group.filter((w) => w.kind !== 'update'), ...recreated];
    const conflicted: PlannedWrite[] = [];
    if (toCreate.length) {
      const results = await list.graph.createItems(
        list.siteId,
        list.listId,
        toCreate.map((w) => ({ id: w.row.sourceKey, fields: w.row.fields })),
        { keyField: KEY_COLUMN_NAME, ...this.graphOptions },
      );
      results.forEach((r, i) => {
        const w = toCreate[i]!;
        if (r.ok) this.done(w, list, itemIdOf(r), etagOf(r), recreated.has(w));
        else if (r.status === 409)
          conflicted.push(w); // the unique key column says it exists already
        else this.fail(w, r);
      });
      heartbeat();
    }
    if (conflicted.length) {
      // A create that landed before its result was recorded: adopt the item, then bring its fields up to date.
      const found = await findByKeys(
        list,
        conflicted.map((w) => w.row.sourceKey),
        this.opts.signal,
      );
      const adopt = conflicted.filter((w) => found.has(w.row.sourceKey));
      for (const w of conflicted.filter((c) => !found.has(c.row.sourceKey))) {
        this.settled.add(w);
        this.out.quarantined.push({ sourceKey: w.row.sourceKey, reason: 'SharePoint refused the item as a duplicate, but no item with its key was found' });
      }
      const results = await list.graph.updateItems(
        list.siteId,
        list.listId,
        adopt.map((w) => ({ id: w.row.sourceKey, itemId: found.get(w.row.sourceKey)!.id, fields: w.row.fields })),
        this.graphOptions,
      );
      results.forEach((r, i) => {
        const w = adopt[i]!;
        if (r.ok) this.done(w, list, found.get(w.row.sourceKey)!.id, etagOf(r), recreated.has(w));
        else this.fail(w, r);
      });
    }
  }

  /** Moves: the old item goes only after the new one exists. */
  private async deleteMovedOriginals(): Promise<void> {
    const bySource = new Map<string, typeof this.movesCreated>();
    for (const m of this.movesCreated) groupInto(bySource, m.w.from.targetId, m);
    for (const [fromTargetId, moves] of bySource) {
      const list = this.lists.get(fromTargetId);
      const results = list
        ? await list.graph.deleteItems(
            list.siteId,
            list.listId,
            moves.map((m) => ({ id: m.w.row.sourceKey, itemId: m.w.from.listItemId })),
            this.graphOptions,
          )
        : moves.map((m) => ({ id: m.w.row.sourceKey, ok: true as const, status: 404, body: null }));
      this.opts.heartbeat?.();
      results.forEach((r, i) => {
        const m = moves[i]!;
        this.settled.add(m.w);
        const rekey = m.w.rekeyFrom ? { rekeyFrom: m.w.rekeyFrom } : {};
        if (r.ok)
          this.out.applied.push({
            kind: 'move',
            sourceKey: m.w.row.sourceKey,
            targetId: m.w.row.targetId,
            listItemId: m.listItemId,
            etag: m.etag,
            hash: m.w.row.hash,
            from: m.w.from,
            ...rekey,
          });
        else this.fail(m.w, r);
      });
    }
  }
}
