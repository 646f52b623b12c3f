import { Context } from '@temporalio/activity';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { keyIn } from '@syncbridge/shared/domain';
import { schema } from '@syncbridge/shared/db';
import { DeltaTokenExpiredError, type DeltaPage } from '@syncbridge/shared/graph';

type ListItem = DeltaPage['items'][number];
import {
  contentHash,
  convertRow,
  decodeSourceKey,
  encodeSourceKey,
  readFieldOf,
  KEY_COLUMN_NAME,
  type FieldMappingSpec,
  type Lookups,
} from '@syncbridge/shared/mapping';
import { ingestProblem, isSoftDeleted, itemKey, itemToRow, softDeleteMark } from '@syncbridge/shared/mapping';
import type { IntrospectedTable, RowChange, SourceSession, SourceValue } from '@syncbridge/shared/sources';
import type { RunContext } from '@syncbridge/shared/temporal';
import { activityLog, type ActivityDeps } from '../deps.ts';
import { tableRef, sourceOf, targetLists } from '../push/context.ts';
import { applyWrites, etagOf } from '../push/apply.ts';
import { keyFamiliesOf, planContextOf, prepareRow, titleOf, type PlannedWrite, type Quarantined } from '../push/plan.ts';
import { invalid, loadRunContext, type DefinitionContext } from '../sync/definition.ts';
import { LookupLoader } from '../sync/lookups.ts';
import { sourceTableAndColumns } from '../sync/table.ts';
import { commitIngressPage, readDeltaCursor, type DeltaCursor, type IngestedEntry, type IngressEvent } from './commit.ts';
import { decideConflict, type ConflictPolicy } from './conflicts.ts';
import { keysForNewItems, type NewKey } from './new-keys.ts';

/*
 * One page of a list's delta, applied to the source table (ingress, lists -> table):
 * 1. the page: from the stored position (a nextLink mid-round, else the last deltaLink; the first
 *    ingress of a list that push filled starts at `token=latest`: what is in it came from the table);
 * 2. each changed item back to row values (mapping/ingest.ts); an item whose values hash to what
 *    the ledger holds is unchanged since SyncBridge last wrote or read it: push's own writes never
 *    come back (no echo, by content, not by timing);
 * 3. the rows these items name are read, each checked for a change at the source since the last
 *    sync (its hash differs from the ledger's): both sides changed is a conflict, settled by the
 *    definition's policy (conflicts.ts);
 * 4. the changes go to the source in one applyChanges call (one transaction, multi-row
 *    statements, each change checked against the row as read in step 3);
 * 5. the ledger (with the hash push will compute for the new row, so push does not send it back),
 *    events, quarantine, run counts and the next position are committed in one meta-store
 *    transaction. A crash before it repeats the page: the source writes then come back
 *    `alreadyApplied`, so nothing is written twice.
 */

export interface IngressPageInput {
  definitionId: string;
  runRowId: string;
  targetId: string;
  context: RunContext;
  /** Record the counts on the run under prefixed names (`ingressCreated`): the ingress half of a two-way push run. */
  countPrefix?: string;
}

export interface IngressPageResult {
  counts: Record<string, number>;
  /** The round reached its deltaLink: the list is caught up. */
  done: boolean;
}

const COUNT_KEYS = [
  'read',
  'created',
  'updated',
  'moved',
  'deleted',
  'softDeleted',
  'deletesIgnored',
  'unchanged',
  'conflicts',
  'quarantined',
  'keysWritten',
] as const;

/** A mapping ingress writes: not push-only, and invertible. */
export function ingressMappings(mappings: FieldMappingSpec[], table: IntrospectedTable): FieldMappingSpec[] {
  return mappings.filter((m) => {
    if (m.direction === 'push') return false;
    const column = table.columns.find((c) => c.name === m.sourceColumn);
    return column !== undefined && !column.generated && ingestProblem(m, column) === null;
  });
}

/** What push would write for these row values under this key: the same hash means nothing to write in either direction. */
export function hashOf(
  values: Record<string, unknown>,
  keyTexts: string[],
  sourceKey: string,
  ctx: DefinitionContext,
  table: IntrospectedTable,
  lookups?: Lookups,
): string | null {
  const converted = convertRow(values, ctx.mappings, table, lookups);
  if (!converted.ok) return null;
  const fields: Record<string, unknown> = { ...converted.fields, [KEY_COLUMN_NAME]: sourceKey };
  if (!ctx.mappings.some((m) => m.targetColumn === 'Title')) fields.Title = titleOf(keyTexts);
  return contentHash(fields);
}

interface Candidate {
  item: ListItem;
  sourceKey: string;
  keyTexts: string[];
  /** Row values from the item (every mapped column, for hashing) and what ingress writes. */
  driver: Record<string, unknown>;
  write: Record<string, SourceValue>;
  hash: string;
  ledger: LedgerRow | undefined;
  /** The item has no key column yet (created in SharePoint): ingress writes it after the insert. */
  needsKey: boolean;
  /** The key was generated for the item (newItemKeys: generate): written back to the item with the key column. */
  generated?: NewKey | undefined;
}

export async function ingressPage(deps: ActivityDeps, input: IngressPageInput): Promise<IngressPageResult> {
  const log = activityLog(deps, input.context);
  const activity = Context.current();
  const ctx = await loadRunContext(deps, input);
  const d = ctx.definition;
  const list = targetLists(deps, ctx).get(input.targetId);
  if (!list) throw new Error(`target ${input.targetId} is not one of the definition's targets`);
  const { table, columns } = await sourceTableAndColumns(deps, ctx);
  const source = sourceOf(deps, ctx);
  const counts: Record<string, number> = Object.fromEntries(COUNT_KEYS.map((k) => [k, 0]));
  const db = deps.store.db;

  // 1. The page.
  // Every mapped column of the item, either way: push's for the hash, ingress-only ones for what the list alone holds.
  const ingressOnly = ctx.ingressMappings.filter((m) => m.direction === 'ingress');
  const all = [...ctx.mappings, ...ingressOnly].map((m) => ({ ...m, direction: 'both' as const }));
  const selectFields = [...new Set([KEY_COLUMN_NAME, 'Title', ...all.map((m) => readFieldOf(m))])];
  const fieldSet = [...selectFields].sort().join(',');
  const stored = await readDeltaCursor(db, d.id, input.targetId);
  const restart = async (why: string, counts: Record<string, number>) => {
    log.warn({ definitionId: d.id, targetId: input.targetId }, `${why}: enumerating the list again`);
    await commitIngressPage(db, {
      definitionId: d.id,
      runRowId: input.runRowId,
      targetId: input.targetId,
      cursor: { resync: true, resyncFrom: new Date().toISOString(), fields: fieldSet },
      counts: recorded(input, counts),
    });
    return { counts, done: false };
  };
  // A delta link keeps the query it began with: one begun before the mappings changed would never return the new
  // columns (each would read as empty). Such a position is dropped and the list enumerated with the fields of now.
  if (stored && (stored.next || stored.deltaLink) && stored.fields !== fieldSet)
    return restart('the mapped fields changed since the delta round began', { fieldResyncs: 1 });
  let start: string | undefined = stored?.next ?? stored?.deltaLink;
  let fresh = stored?.resync === true && !stored.next;
  if (!start && !fresh) {
    const [pushed] = await db
      .select({ id: schema.syncLedger.id })
      .from(schema.syncLedger)
      .where(and(eq(schema.syncLedger.definitionId, d.id), eq(schema.syncLedger.targetId, input.targetId)))
      .limit(1);
    if (pushed) start = 'latest';
    else fresh = true;
  }
  let page;
  try {
    const pages = list.graph.iterateItemsDelta(list.siteId, list.listId, fresh ? undefined : start, { fields: selectFields, top: d.batchSize });
    page = (await pages.next()).value;
    await pages.return(undefined);
  } catch (err) {
    if (!(err instanceof DeltaTokenExpiredError)) throw err;
    // 410: the token cannot be served. Enumerate the list again; unchanged items hash equal and cost nothing.
    return restart('delta token expired', { resyncs: 1 });
  }
  if (!page) throw new Error('the delta round returned no page');
  // Mid-round, the next page's link; at the end, the deltaLink for the next round. Kept with the changes it covers (step 5).
  const resyncing = stored?.resync === true;
  const nextCursor: DeltaCursor = page.deltaLink
    ? { deltaLink: page.deltaLink, fields: fieldSet }
    : { next: page.nextLink, fields: fieldSet, ...(resyncing ? { resync: true, ...(stored?.resyncFrom ? { resyncFrom: stored.resyncFrom } : {}) } : {}) };
  activity.heartbeat({ phase: 'read', items: page.items.length, deleted: page.deletedIds.length });

  const writable = ingressMappings(ctx.ingressMappings, table);
  // People and lookups: the site's users and the synced rows the page's items name (loaded once per page).
  const loader = new LookupLoader(deps, all, targetLists(deps, ctx));
  await loader.addItems(
    input.targetId,
    page.items.map((i) => (i.fields ?? {}) as Record<string, unknown>),
  );
  const lookups = loader.forTarget(input.targetId);
  const listOnly = listOnlyValues(writable, table, () => loader.forTarget(input.targetId));
  const families = keyFamiliesOf(table, d.keyColumns);
  const quarantined: Quarantined[] = [];
  const events: IngressEvent[] = [];

  // 2. Items back to row values.
  const candidates: Candidate[] = [];
  const admit = (item: ListItem, fields: Record<string, unknown>, keyTexts: string[], sourceKey: string, stamped: boolean, generated?: NewKey) => {
    const back = itemToRow(fields, all, table, lookups);
    if (!back.ok) {
      quarantined.push({
        sourceKey,
        reason: `list item ${item.id}, column ${back.column}: ${back.reason}`,
        detail: { column: back.column, listItemId: item.id },
      });
      return;
    }
    const writeBack = itemToRow(fields, writable, table, lookups);
    if (!writeBack.ok) {
      quarantined.push({ sourceKey, reason: `list item ${item.id}, column ${writeBack.column}: ${writeBack.reason}`, detail: { column: writeBack.column } });
      return;
    }
    if (generated) {
      // The row takes the reserved key (the insert names it); the hash sees it as push will read it.
      back.driver[generated.column] = generated.driverValue;
      delete writeBack.write[generated.column];
    }
    candidates.push({ item, sourceKey, keyTexts, driver: back.driver, write: writeBack.write, hash: '', ledger: undefined, needsKey: !stamped, generated });
  };
  const keyMappings = [...ctx.mappings, ...ingressOnly].map((m) => (d.keyColumns.includes(m.sourceColumn) ? { ...m, direction: 'both' as const } : m));
  const awaitingKeys: ListItem[] = [];
  for (const item of page.items) {
    counts.read!++;
    const fields = (item.fields ?? {}) as Record<string, unknown>;
    const stamped = typeof fields[KEY_COLUMN_NAME] === 'string' && fields[KEY_COLUMN_NAME] !== '' ? (fields[KEY_COLUMN_NAME] as string) : null;
    if (stamped) {
      admit(
        item,
        fields,
        decodeSourceKey(stamped).map((k) => (k === null ? '' : String(k))),
        stamped,
        true,
      );
      continue;
    }
    // Key columns are push-only (an edit must not re-key a row), but a new item names its row by them.
    const key = itemKey(fields, d.keyColumns, keyMappings, table, lookups);
    if (key.ok) admit(item, fields, key.key, encodeSourceKey(key.key, families), false);
    else if (key.missing && d.newItemKeys === 'generate') awaitingKeys.push(item);
    else quarantined.push({ sourceKey: `item:${item.id}`, reason: `list item ${item.id} has no usable key: ${key.reason}`, detail: { listItemId: item.id } });
  }
  if (awaitingKeys.length) {
    // Items made in SharePoint without a key get one reserved for them (the same one if this page is repeated).
    const generated = await keysForNewItems(
      deps,
      ctx,
      source,
      table,
      input.targetId,
      awaitingKeys.map((i) => i.id!),
    );
    for (const item of awaitingKeys) {
      const key = generated.ok ? generated.keys.get(item.id!) : undefined;
      if (!key) {
        const why = generated.ok ? 'no key could be reserved' : generated.problem;
        quarantined.push({
          sourceKey: `item:${item.id}`,
          reason: `list item ${item.id} has no key, and none can be generated: ${why}`,
          detail: { listItemId: item.id },
        });
        continue;
      }
      admit(item, (item.fields ?? {}) as Record<string, unknown>, key.keyTexts, key.sourceKey, false, key);
    }
  }
  const ledger = await ledgerOf(
    db,
    d.id,
    candidates.map((c) => c.sourceKey),
  );
  for (const c of candidates) c.ledger = ledger.get(c.sourceKey);
  const seen: IngestedEntry[] = [];
  const changed = candidates.filter((c) => {
    // Provenance: the item is exactly the version SyncBridge wrote (or last read); nothing to do, and no echo.
    if (c.ledger?.etag && c.item.eTag && c.ledger.etag === c.item.eTag && !c.needsKey) {
      counts.unchanged!++;
      // While the list is enumerated again (after a 410), the ledger notes every item it sees: the rest were deleted meanwhile.
      if (resyncing) seen.push({ sourceKey: c.sourceKey, targetId: input.targetId, listItemId: c.item.id!, hash: c.ledger.contentHash, etag: c.item.eTag });
      return false;
    }
    return true;
  });

  // Deleted items: the rows they carried, through the ledger.
  const deletedEntries =
    page.deletedIds.length === 0
      ? []
      : await db
          .select({
            sourceKey: schema.syncLedger.sourceKey,
            listItemId: schema.syncLedger.listItemId,
            contentHash: schema.syncLedger.contentHash,
            targetId: schema.syncLedger.targetId,
          })
          .from(schema.syncLedger)
          .where(
            and(
              eq(schema.syncLedger.definitionId, d.id),
              eq(schema.syncLedger.targetId, input.targetId),
              inArray(schema.syncLedger.listItemId, page.deletedIds),
            ),
          );

  if (resyncing && page.deltaLink) {
    // The enumeration is complete: an entry of this list neither seen in it nor written since it began lost its item while
    // the token could not be served, exactly as if the delta had reported the deletion.
    const since = new Date(stored?.resyncFrom ?? 0);
    const onPage = new Set(candidates.map((c) => c.sourceKey));
    const itemsOnPage = new Set(page.items.map((i) => i.id));
    const L = schema.syncLedger;
    const unseen = await db
      .select({ sourceKey: L.sourceKey, listItemId: L.listItemId, contentHash: L.contentHash, targetId: L.targetId })
      .from(L)
      .where(
        and(
          eq(L.definitionId, d.id),
          eq(L.targetId, input.targetId),
          sql`coalesce(greatest(${L.lastIngestedAt}, ${L.lastPushedAt}), '-infinity') < ${since.toISOString()}::timestamptz`,
        ),
      );
    deletedEntries.push(
      ...unseen.filter((e) => !onPage.has(e.sourceKey) && !itemsOnPage.has(e.listItemId ?? '') && !deletedEntries.some((x) => x.sourceKey === e.sourceKey)),
    );
  }

  // 3. The rows as they are now, and what each change becomes.
  const keysToRead = [...changed.map((c) => c.keyTexts), ...deletedEntries.map((e) => decodeSourceKey(e.sourceKey).map((k) => (k === null ? '' : String(k))))];
  const current = await readCurrent(source, ctx, columns, keysToRead, families);
  await loader.addRows(
    [...current.values()].map((r) => r.values),
    table,
    [input.targetId],
  );
  const rowLookups = loader.forTarget(input.targetId);
  const policy = d.conflictPolicy as ConflictPolicy;
  const changes: RowChange[] = [];
  const plans: Array<{ kind: 'create' | 'update' | 'delete' | 'softDelete'; candidate?: Candidate; entry?: (typeof deletedEntries)[number] }> = [];
  const ingested: IngestedEntry[] = [...seen];
  const dropped: string[] = [];
  const unread = Object.fromEntries(columns.map((col) => [col, null]));
  for (const c of changed) {
    const row = current.get(c.sourceKey);
    const rowHash = row ? hashOf(row.values, c.keyTexts, c.sourceKey, ctx, table, rowLookups) : null;
    // The row as the item would leave it: the item's values where the list can change them, the table's elsewhere
    // (push-only columns, columns whose transforms cannot be undone). Its hash is what push computes after the write.
    const itemHash = hashOf({ ...unread, ...(row?.values ?? {}), ...c.driver }, c.keyTexts, c.sourceKey, ctx, table, rowLookups);
    if (itemHash === null) {
      quarantined.push({ sourceKey: c.sourceKey, reason: `list item ${c.item.id} holds values the table cannot take back`, detail: { listItemId: c.item.id } });
      continue;
    }
    c.hash = itemHash;
    // Ingress-only columns are not in push's hash: the row takes the list's values when they differ.
    const listOnlySame = row !== undefined && listOnly(row.values) === listOnly(c.driver);
    // The item holds what SyncBridge last synced (its eTag moved for something push does not track: the key written to an
    // item made in SharePoint, a column nobody maps): nothing comes back. The ledger keeps its hash, so a change the table
    // made meanwhile still goes out with the next push, and learns the eTag (no false conflict next round).
    if (c.ledger && c.ledger.contentHash === itemHash && c.ledger.listItemId === c.item.id && (!row || listOnlySame)) {
      counts.unchanged!++;
      ingested.push({ sourceKey: c.sourceKey, targetId: input.targetId, listItemId: c.item.id!, hash: c.ledger.contentHash, etag: c.item.eTag ?? null });
      continue;
    }
    if (row && rowHash === c.hash && listOnlySame) {
      // The table already holds what the item says (written by hand on both sides, or a repeated page): only the ledger learns it.
      counts.unchanged!++;
      ingested.push({ sourceKey: c.sourceKey, targetId: input.targetId, listItemId: c.item.id!, hash: c.hash, etag: c.item.eTag ?? null });
      continue;
    }
    const sourceChanged = c.ledger !== undefined && (row ? rowHash !== c.ledger.contentHash : true) && !(row && rowHash === c.hash);
    if (sourceChanged) {
      counts.conflicts!++;
      const decision = decideConflict(policy, {
        itemModified: c.item.lastModifiedDateTime ?? null,
        rowWatermark: row && d.cursorColumn ? row.values[d.cursorColumn] : null,
      });
      events.push({
        sourceKey: c.sourceKey,
        kind: 'conflict',
        listItemId: c.item.id ?? null,
        detail: { policy, winner: decision, rowDeleted: !row },
        // Manual: both versions wait in the conflicts table for a person.
        ...(decision === 'manual' ? { conflict: { sourceValue: row?.values ?? null, listValue: c.item.fields ?? null } } : {}),
      });
      if (decision !== 'list') continue;
    }
    if (row) {
      const values = Object.fromEntries(Object.entries(c.write).filter(([col]) => !d.keyColumns.includes(col)));
      const keyChanged = d.keyColumns.some((k, i) => k in c.write && c.write[k] !== null && String(c.write[k]) !== c.keyTexts[i] && !c.needsKey);
      if (keyChanged) {
        quarantined.push({
          sourceKey: c.sourceKey,
          reason: `list item ${c.item.id} changes the key columns (${d.keyColumns.join(', ')}): a key is never changed from the list; delete the item and create another`,
        });
        continue;
      }
      changes.push({ op: 'update', key: row.key, values, expected: { rowHash: row.hash } });
      plans.push({ kind: 'update', candidate: c });
    } else {
      // A field the new item leaves empty lets the column's default (or identity) fill it, as an INSERT without the column would.
      const defaulted = new Set(table.columns.filter((col) => col.defaultExpr !== null || col.identity).map((col) => col.name));
      const values = Object.fromEntries(Object.entries(c.write).filter(([col, v]) => !(v === null && defaulted.has(col))));
      const always = d.keyColumns.find((k) => table.columns.find((col) => col.name === k)?.identity === 'always');
      if (always && !c.generated) {
        quarantined.push({
          sourceKey: c.sourceKey,
          reason: `list item ${c.item.id} names its key, but key column ${always} is GENERATED ALWAYS AS IDENTITY: leave the key empty in the list (with newItemKeys generate) and the table's sequence gives it`,
          detail: { listItemId: c.item.id },
        });
        continue;
      }
      changes.push({ op: 'insert', key: c.keyTexts, values });
      plans.push({ kind: 'create', candidate: c });
    }
  }
  // A deleted item: the row is deleted, marked (soft_delete) or left as it is (ignore), per the definition.
  const deletePolicy = d.ingressDeletePolicy ?? 'delete';
  const markColumn = deletePolicy === 'soft_delete' && d.softDeleteColumn ? table.columns.find((col) => col.name === d.softDeleteColumn) : undefined;
  if (deletePolicy === 'soft_delete' && !markColumn && deletedEntries.length)
    throw invalid(`the soft-delete column ${d.softDeleteColumn ?? '(none)'} is missing from ${table.schema}.${table.name}; fix the definition or the source`);
  const now = new Date();
  for (const e of deletedEntries) {
    const keyTexts = decodeSourceKey(e.sourceKey).map((k) => (k === null ? '' : String(k)));
    const row = current.get(e.sourceKey);
    if (!row || (markColumn && isSoftDeleted(row.values[markColumn.name]))) {
      dropped.push(e.sourceKey);
      continue;
    }
    if (deletePolicy === 'ignore') {
      // The row stays; the ledger forgets the item, so the row's next change (or a full pass) creates it again.
      counts.deletesIgnored!++;
      dropped.push(e.sourceKey);
      events.push({ sourceKey: e.sourceKey, kind: 'delete', listItemId: e.listItemId, detail: { from: 'list', policy: 'ignore', rowKept: true } });
      continue;
    }
    const rowHash = hashOf(row.values, keyTexts, e.sourceKey, ctx, table, rowLookups);
    if (rowHash !== e.contentHash) {
      // Deleted in the list, changed in the table: the table's version stays; the ledger forgets the item so push creates it again.
      counts.conflicts!++;
      events.push({ sourceKey: e.sourceKey, kind: 'conflict', listItemId: e.listItemId, detail: { policy, winner: 'source', itemDeleted: true } });
      dropped.push(e.sourceKey);
      continue;
    }
    if (markColumn) {
      changes.push({ op: 'update', key: row.key, values: { [markColumn.name]: softDeleteMark(markColumn, now) }, expected: { rowHash: row.hash } });
      plans.push({ kind: 'softDelete', entry: e });
    } else {
      changes.push({ op: 'delete', key: row.key, expected: { rowHash: row.hash } });
      plans.push({ kind: 'delete', entry: e });
    }
  }

  // 4. The source writes, in one transaction.
  if (changes.length) {
    const reservedKeys = plans.some((p) => p.candidate?.generated);
    const result = await source.applyChanges({
      ...tableRef(ctx),
      keyColumns: d.keyColumns,
      hashColumns: columns,
      changes,
      ...(reservedKeys ? { reservedKeys } : {}),
    });
    activity.heartbeat({ phase: 'written', changes: changes.length });
    result.outcomes.forEach((o, i) => {
      const plan = plans[i]!;
      const sourceKey = plan.candidate?.sourceKey ?? plan.entry!.sourceKey;
      if (o.status === 'applied') {
        if (plan.kind === 'delete' || plan.kind === 'softDelete') {
          const soft = plan.kind === 'softDelete';
          counts[soft ? 'softDeleted' : 'deleted']!++;
          dropped.push(sourceKey);
          events.push({
            sourceKey,
            kind: 'delete',
            listItemId: plan.entry!.listItemId,
            detail: { from: 'list', ...(soft ? { policy: 'soft_delete', column: markColumn!.name } : {}) },
          });
          return;
        }
        const c = plan.candidate!;
        counts[plan.kind === 'create' ? 'created' : 'updated']!++;
        ingested.push({ sourceKey, targetId: input.targetId, listItemId: c.item.id!, hash: c.hash, etag: c.item.eTag ?? null });
        events.push({
          sourceKey,
          kind: plan.kind,
          listItemId: c.item.id ?? null,
          detail: { from: 'list', ...(o.alreadyApplied ? { alreadyApplied: true } : {}) },
        });
      } else if (o.status === 'conflict') {
        // The row changed between the read and the write: the table's version stays, the item is read again next round.
        counts.conflicts!++;
        events.push({
          sourceKey,
          kind: 'conflict',
          listItemId: plan.candidate?.item.id ?? plan.entry?.listItemId ?? null,
          detail: { policy, winner: 'source', raced: true },
        });
      } else {
        quarantined.push({
          sourceKey,
          reason: `the table refused the change from the list: ${o.reason}`,
          detail: { listItemId: plan.candidate?.item.id ?? plan.entry?.listItemId },
        });
      }
    });
  }

  // 5. Rows the list moved: an edit made the row route to another list. The item goes there now (create, then delete
  // here), as push would move it: the row's watermark may not move, so push might never read it again.
  const byKey = new Map(candidates.map((c) => [c.sourceKey, c]));
  if (d.targetStrategy === 'conditional' && ctx.targets.length > 1) {
    const moved = await moveRerouted(deps, ctx, table, input.targetId, ingested, byKey, current, unread, loader);
    ingested.splice(0, ingested.length, ...ingested.filter((e) => !moved.settled.has(e.sourceKey)), ...moved.ledger);
    events.push(...moved.events);
    quarantined.push(...moved.quarantined);
    counts.moved = moved.ledger.length;
  }

  counts.quarantined = quarantined.length;
  const held = new Set(quarantined.map((q) => q.sourceKey));
  const commit = {
    definitionId: d.id,
    runRowId: input.runRowId,
    targetId: input.targetId,
    ingested,
    dropped,
    events,
    quarantined,
    // An item held earlier for want of a key is healthy once it has one.
    ...(resyncing ? { seenItems: page.items.flatMap((i) => (i.id ? [i.id] : [])) } : {}),
    healthyKeys: ingested.flatMap((e) => (held.has(e.sourceKey) ? [] : [e.sourceKey, `item:${e.listItemId}`])),
    counts: recorded(input, counts),
  };
  // Items created in SharePoint get their key column, so later rounds (and push) know them by key. The ledger learns the
  // rows first (the position stays): writing the key moves an item past this page in the delta, so a crash after the
  // key write and before a commit would otherwise leave rows no ledger knows. The position follows the key writes.
  const keyless = ingested.filter((e) => byKey.get(e.sourceKey)?.needsKey && e.targetId === input.targetId);
  // Reservations of generated keys go once their items carry the key (stamped earlier, or now).
  const carryKeys = d.newItemKeys === 'generate' ? candidates.filter((c) => !c.needsKey).map((c) => c.item.id!) : [];
  if (keyless.length === 0) {
    await commitIngressPage(db, { ...commit, cursor: nextCursor, releasedItems: carryKeys });
  } else {
    await commitIngressPage(db, commit);
    const titleMapped = ctx.mappings.some((m) => m.targetColumn === 'Title');
    // A generated key also goes to the list columns its key column is mapped to, as push would write them.
    const generatedKeyFields = (g: NewKey | undefined) => {
      if (!g) return {};
      const converted = convertRow(
        { [g.column]: g.driverValue },
        ctx.mappings.filter((m) => m.sourceColumn === g.column),
        table,
      );
      return converted.ok ? converted.fields : {};
    };
    const results = await list.graph.updateItems(
      list.siteId,
      list.listId,
      keyless.map((e, i) => ({
        id: String(i),
        itemId: e.listItemId,
        fields: {
          [KEY_COLUMN_NAME]: e.sourceKey,
          ...(titleMapped ? {} : { Title: titleOf(byKey.get(e.sourceKey)!.keyTexts) }),
          ...generatedKeyFields(byKey.get(e.sourceKey)!.generated),
        },
      })),
    );
    // The eTags after the key writes: the next round finds those items as SyncBridge left them.
    const stamped = results.flatMap((r) => (r.ok ? [{ ...keyless[Number(r.id)]!, etag: etagOf(r) }] : []));
    counts.keysWritten = stamped.length;
    await commitIngressPage(db, {
      definitionId: d.id,
      runRowId: input.runRowId,
      targetId: input.targetId,
      ingested: stamped,
      releasedItems: [...carryKeys, ...stamped.filter((e) => byKey.get(e.sourceKey)?.generated).map((e) => e.listItemId)],
      cursor: nextCursor,
      counts: recorded(input, { keysWritten: stamped.length }),
    });
  }
  log.info({ definitionId: d.id, targetId: input.targetId, counts, done: Boolean(page.deltaLink) }, 'ingress page');
  return { counts, done: Boolean(page.deltaLink) };
}

interface Rerouted {
  /** Keys whose item moved: their ledger entries are `ledger`, not the page's. */
  settled: Set<string>;
  ledger: IngestedEntry[];
  events: IngressEvent[];
  quarantined: Quarantined[];
}

/**
 * Moves the items of rows that an edit in this list routes elsewhere: the row as the list left it (the item's values over
 * the row's) is planned as push plans a move (create in the new list with every push column and the ingress-only ones,
 * then delete here), and the ledger follows the item. A move Graph refuses for now stays where it is, quarantined with
 * the reason: the row's next change, or a full pass, moves it.
 */
async function moveRerouted(
  deps: ActivityDeps,
  ctx: DefinitionContext,
  table: IntrospectedTable,
  fromTargetId: string,
  ingested: IngestedEntry[],
  byKey: Map<string, Candidate>,
  current: Map<string, { key: string[]; values: Record<string, unknown> }>,
  unread: Record<string, null>,
  loader: LookupLoader,
): Promise<Rerouted> {
  const out: Rerouted = { settled: new Set(), ledger: [], events: [], quarantined: [] };
  const planContext = { ...planContextOf(ctx, table), lookupsFor: (targetId: string) => loader.forTarget(targetId) };
  const listOnly = ctx.ingressMappings.filter((m) => m.direction === 'ingress').map((m) => ({ ...m, direction: 'both' as const }));
  const writes: PlannedWrite[] = [];
  const valuesOf = (e: IngestedEntry, c: Candidate) => ({ ...unread, ...(current.get(e.sourceKey)?.values ?? {}), ...c.driver });
  const mine = ingested.flatMap((e) => {
    const c = byKey.get(e.sourceKey);
    return c && e.targetId === fromTargetId ? [{ e, c, values: valuesOf(e, c) }] : [];
  });
  // The other lists' sites may have other users.
  await loader.addRows(
    mine.map((m) => m.values),
    table,
  );
  for (const { e, c, values } of mine) {
    const prepared = prepareRow({ values, key: c.keyTexts }, planContext);
    if ('reason' in prepared || prepared.targetId === fromTargetId) continue;
    const extra = listOnly.length ? convertRow(values, listOnly, table, loader.forTarget(prepared.targetId)) : null;
    const fields = extra?.ok ? { ...prepared.fields, ...extra.fields } : prepared.fields;
    writes.push({ kind: 'move', row: { ...prepared, fields }, from: { targetId: fromTargetId, listItemId: e.listItemId } });
  }
  if (writes.length === 0) return out;
  const activity = Context.current();
  const outcome = await applyWrites(writes, targetLists(deps, ctx), {
    heartbeat: () => activity.heartbeat({ phase: 'moving' }),
    signal: activity.cancellationSignal,
  });
  for (const a of outcome.applied) {
    out.settled.add(a.sourceKey);
    out.ledger.push({ sourceKey: a.sourceKey, targetId: a.targetId, listItemId: a.listItemId, hash: a.hash, etag: a.etag });
    out.events.push({
      sourceKey: a.sourceKey,
      kind: 'move',
      listItemId: a.listItemId,
      toTargetId: a.targetId,
      detail: { from: 'list', fromListItemId: a.from?.listItemId ?? null },
    });
  }
  for (const q of outcome.quarantined) out.quarantined.push({ ...q, reason: `the row now routes to another list, and the move failed: ${q.reason}` });
  for (const t of outcome.transient)
    out.quarantined.push({
      sourceKey: t.sourceKey,
      reason: `the row now routes to another list, and the move failed for now (${t.message}); its next change or a full pass moves it`,
    });
  return out;
}

/**
 * A comparable digest of the ingress-only columns of some row values (as push would convert them): the
 * list alone holds those, so the row takes them whenever the two digests differ. '' when there are none.
 */
function listOnlyValues(
  writable: FieldMappingSpec[],
  table: IntrospectedTable,
  lookups: () => Lookups | undefined,
): (values: Record<string, unknown>) => string | null {
  const listOnly = writable.filter((m) => m.direction === 'ingress').map((m) => ({ ...m, direction: 'both' as const }));
  return (values) => {
    if (listOnly.length === 0) return '';
    const converted = convertRow(values, listOnly, table, lookups());
    return converted.ok ? contentHash(converted.fields) : null;
  };
}

/** The rows these keys name, by source key, with their row hash over the columns read. */
async function readCurrent(source: SourceSession, ctx: DefinitionContext, columns: string[], keys: string[][], families: ReturnType<typeof keyFamiliesOf>) {
  const out = new Map<string, { key: string[]; values: Record<string, unknown>; hash: string }>();
  if (keys.length === 0) return out;
  const read = await source.readByKeys({ ...tableRef(ctx), columns, keyColumns: ctx.definition.keyColumns, keys, hashColumns: columns });
  read.rows.forEach((values, i) => {
    const key = read.keys[i]!;
    out.set(encodeSourceKey(key, families), { key, values, hash: read.hashes![i]! });
  });
  return out;
}

type LedgerRow = { sourceKey: string; contentHash: string; etag: string | null; listItemId: string | null };

/** The ledger entries of these keys, with the eTag of the item version SyncBridge last wrote or read. */
async function ledgerOf(db: ActivityDeps['store']['db'], definitionId: string, keys: string[]): Promise<Map<string, LedgerRow>> {
  if (keys.length === 0) return new Map();
  const L = schema.syncLedger;
  const rows = await db
    .select({ sourceKey: L.sourceKey, contentHash: L.contentHash, etag: L.etag, listItemId: L.listItemId })
    .from(L)
    .where(and(eq(L.definitionId, definitionId), keyIn(keys)));
  return new Map(rows.map((r) => [r.sourceKey, r]));
}

/** The counts as the run row records them: prefixed in a two-way push run, so they sit beside push's own. */
function recorded(input: IngressPageInput, counts: Record<string, number>): Record<string, number> {
  const prefix = input.countPrefix;
  if (!prefix) return counts;
  return Object.fromEntries(Object.entries(counts).map(([k, n]) => [`${prefix}${k.charAt(0).toUpperCase()}${k.slice(1)}`, n]));
}
