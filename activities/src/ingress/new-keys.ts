import { randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import { decodeSourceKey, encodeSourceKey } from '@syncbridge/shared/mapping';
import { newKeySourceOf, type IntrospectedTable, type SourceSession, type TypeFamily } from '@syncbridge/shared/sources';
import type { ActivityDeps } from '../deps.ts';
import { tableRef } from '../push/context.ts';
import type { DefinitionContext } from '../sync/definition.ts';

/*
 * Keys for items created in SharePoint with empty key columns, on a definition with
 * `newItemKeys: generate` (shared/src/sources/new-keys.ts says which key columns can have one).
 * A key is reserved for the item and recorded (key_reservations) before its row is inserted:
 * a page repeated after a crash, before or after the insert, finds the same key, and the insert
 * is then either made or found already applied; the row is never created twice. The reservation
 * goes once the item carries its key (ingress writes it back) and the ledger knows the row.
 */

export interface NewKey {
  keyTexts: string[];
  sourceKey: string;
  /** The key as a driver value (what a reader returns for the column): hashes match push's. */
  driverValue: unknown;
  column: string;
}

export type NewKeys = { ok: true; keys: Map<string, NewKey> } | { ok: false; problem: string };

const asDriverValue = (text: string, family: TypeFamily): unknown => (family === 'smallint' || family === 'integer' ? Number(text) : text);

export async function keysForNewItems(
  deps: ActivityDeps,
  ctx: DefinitionContext,
  source: SourceSession,
  table: IntrospectedTable,
  targetId: string,
  itemIds: string[],
): Promise<NewKeys> {
  const d = ctx.definition;
  const generator = newKeySourceOf(ctx.source.engine, table, d.keyColumns);
  if (generator.kind === 'none') return { ok: false, problem: generator.problem };
  const family = table.columns.find((c) => c.name === generator.column)!.typeFamily;
  const R = schema.keyReservations;
  const db = deps.store.db;
  const reserved = async () =>
    new Map(
      (
        await db
          .select({ listItemId: R.listItemId, sourceKey: R.sourceKey })
          .from(R)
          .where(and(eq(R.definitionId, d.id), eq(R.targetId, targetId), inArray(R.listItemId, itemIds)))
      ).map((r) => [r.listItemId, r.sourceKey]),
    );
  let byItem = await reserved();
  const missing = itemIds.filter((id) => !byItem.has(id));
  if (missing.length) {
    const texts =
      generator.kind === 'uuid'
        ? missing.map(() => randomUUID())
        : await source.reserveKeys({ ...tableRef(ctx), column: generator.column, count: missing.length });
    await db
      .insert(R)
      .values(missing.map((listItemId, i) => ({ definitionId: d.id, targetId, listItemId, sourceKey: encodeSourceKey([texts[i]!], [family]) })))
      .onConflictDoNothing();
    byItem = await reserved();
  }
  const keys = new Map<string, NewKey>();
  for (const [itemId, sourceKey] of byItem) {
    const text = decodeSourceKey(sourceKey)[0] ?? '';
    keys.set(itemId, { keyTexts: [text], sourceKey, driverValue: asDriverValue(text, family), column: generator.column });
  }
  return { ok: true, keys };
}
