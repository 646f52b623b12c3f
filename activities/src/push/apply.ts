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
}

export interface ApplyOutcome {
  applied: AppliedWrite[];
  quarantined: Quarantined[];
  /** Writes that failed for reasons a retry can fix (throttling, 5xx, timeouts). */
  transient: Array<{ sourceKey: string; message: string }>;
}

const itemIdOf = (r: BatchResult & { ok: true }) => String((r.body as { id?: unknown } | null)?.id ?? '');
const etagOf = (r: BatchResult & { ok: true }) => {
  const body = (r.body ?? {}) as { '@odata.etag'?: string; eTag?: string };
  return r.etag ?? body['@odata.etag'] ?? body.eTag ?? null;
};
const describe = (f: BatchFailure) => `Graph answered ${f.status} ${f.code}: ${f.message}`;

/** Chunks of keys per `$filter ... or ...` lookup; Graph allows a handful of or-clauses per filter. */
const LOOKUP_CHUNK = 15;

/** Items already holding these keys (a create that landed before its result was recorded). */
async function findByKeys(list: TargetList, keys: string[]): Promise<Map<string, { id: string; etag: string | null }>> {
  const found = new Map<string, { id: string; etag: string | null }>();
  for (let i = 0; i < keys.length; i += LOOKUP_CHUNK) {
    const chunk = keys.slice(i, i + LOOKUP_CHUNK);
    const filter = chunk.map((k) => `fields/${KEY_COLUMN_NAME} eq '${k.replace(/'/g, "''")}'`).join(' or ');
    for await (const page of list.graph.listItems(list.siteId, list.listId, { filter, fields: [KEY_COLUMN_NAME], top: 100 })) {
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
export async function applyWrites(writes: PlannedWrite[], lists: Map<string, TargetList>, heartbeat: () => void = () => {}): Promise<ApplyOutcome> {
  const out: ApplyOutcome = { applied: [], quarantined: [], transient: [] };
  const byTarget = new Map<string, PlannedWrite[]>();
  for (const w of writes) byTarget.set(w.row.targetId, [...(byTarget.get(w.row.targetId) ?? []), w]);

  const fail = (w: PlannedWrite, f: BatchFailure) =>
    f.retryable ? out.transient.push({ sourceKey: w.row.sourceKey, message: describe(f) }) : out.quarantined.push({ sourceKey: w.row.sourceKey, reason: describe(f), detail: { status: f.status, code: f.code } });
  const movesDone: Array<{ w: PlannedWrite & { kind: 'move' }; listItemId: string; etag: string | null }> = [];

  for (const [targetId, group] of byTarget) {
    const list = lists.get(targetId)!;
    const creates = group.filter((w) => w.kind !== 'update');
    const updates = group.filter((w): w is PlannedWrite & { kind: 'update' } => w.kind === 'update');
    const conflicted: PlannedWrite[] = [];
    const recreate: PlannedWrite[] = [];
    const done = (w: PlannedWrite, listItemId: string, etag: string | null) => {
      if (w.kind === 'move') movesDone.push({ w, listItemId, etag });
      else out.applied.push({ kind: w.kind, sourceKey: w.row.sourceKey, targetId, listItemId, etag, hash: w.row.hash });
    };

    if (updates.length) {
      const results = await list.graph.updateItems(list.siteId, list.listId, updates.map((w) => ({ id: w.row.sourceKey, itemId: w.listItemId, fields: w.row.fields })));
      results.forEach((r, i) => {
        const w = updates[i]!;
        if (r.ok) done(w, w.listItemId, etagOf(r));
        else if (r.status === 404) recreate.push({ kind: 'create', row: w.row }); // deleted in SharePoint: put it back
        else fail(w, r);
      });
      heartbeat();
    }
    const toCreate = [...creates, ...recreate];
    if (toCreate.length) {
      const results = await list.graph.createItems(list.siteId, list.listId, toCreate.map((w) => ({ id: w.row.sourceKey, fields: w.row.fields })), { keyField: KEY_COLUMN_NAME });
      results.forEach((r, i) => {
        const w = toCreate[i]!;
        if (r.ok) done(w, itemIdOf(r), etagOf(r));
        else if (r.status === 409) conflicted.push(w); // the unique key column says it exists already
        else fail(w, r);
      });
      heartbeat();
    }
    if (conflicted.length) {
      // A create that landed before its result was recorded: adopt the item, then bring its fields up to date.
      const found = await findByKeys(list, conflicted.map((w) => w.row.sourceKey));
      const adopt = conflicted.filter((w) => found.has(w.row.sourceKey));
      for (const w of conflicted.filter((c) => !found.has(c.row.sourceKey))) out.quarantined.push({ sourceKey: w.row.sourceKey, reason: 'SharePoint refused the item as a duplicate, but no item with its key was found' });
      const results = await list.graph.updateItems(list.siteId, list.listId, adopt.map((w) => ({ id: w.row.sourceKey, itemId: found.get(w.row.sourceKey)!.id, fields: w.row.fields })));
      results.forEach((r, i) => {
        const w = adopt[i]!;
        if (r.ok) done(w, found.get(w.row.sourceKey)!.id, etagOf(r));
        else fail(w, r);
      });
    }
  }

  // Moves: the old item goes only after the new one exists.
  const bySource = new Map<string, typeof movesDone>();
  for (const m of movesDone) bySource.set(m.w.from.targetId, [...(bySource.get(m.w.from.targetId) ?? []), m]);
  for (const [fromTargetId, moves] of bySource) {
    const list = lists.get(fromTargetId);
    const results = list
      ? await list.graph.deleteItems(list.siteId, list.listId, moves.map((m) => ({ id: m.w.row.sourceKey, itemId: m.w.from.listItemId })))
      : moves.map((m) => ({ id: m.w.row.sourceKey, ok: true as const, status: 404, body: null }));
    heartbeat();
    results.forEach((r, i) => {
      const m = moves[i]!;
      if (r.ok) out.applied.push({ kind: 'move', sourceKey: m.w.row.sourceKey, targetId: m.w.row.targetId, listItemId: m.listItemId, etag: m.etag, hash: m.w.row.hash, from: m.w.from });
      else fail(m.w, r);
    });
  }
  return out;
}
