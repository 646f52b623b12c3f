import { z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { schema } from '@syncbridge/shared/db';
import {
  describeListColumn,
  keyColumnDefinition,
  listColumnsFor,
  TITLE_COLUMN,
  titleColumnDefinition,
  type FieldMappingSpec,
} from '@syncbridge/shared/mapping';
import { latestSnapshotOfDatabase, scopeOf } from '@syncbridge/shared/schema-snapshots';
import { findTable, MAX_IDENTIFIER_LENGTH, type IntrospectedTable } from '@syncbridge/shared/sources';
import type { ApiDeps } from '../lib/context.ts';
import { ListColumnSchema } from '../lib/list-columns.ts';

/**
 * What proposals and saved mappings show beyond the mappings themselves: the list column each
 * one produces, the columns every list gets, and the sensitive-column rule.
 */

export const SENSITIVE_DOCS = [
  'Columns whose names look like secrets or sensitive identifiers (password, passwd, pwd, password_hash, secret, api_key, token, access_token, salt, ssn, tax_id, credit_card, card_number, cvv, iban, pin, ...; word-aware, so hashtag, passenger or tokens_used are not)',
  "are listed in `sensitive` with the reason and left out of `items`, unless they are part of the definition's key (then they stay, flagged) or named in `includeSensitive`:",
  "then they are proposed push-only with a warning. Provisioning's default mapping follows the same rule; mapping such a column explicitly (POST or PUT .../field-mappings) is an opt-in and allowed.",
].join(' ');

export const ProposeOptionsFields = {
  includeSensitive: z
    .union([z.boolean(), z.array(z.string().min(1).max(MAX_IDENTIFIER_LENGTH)).max(1600)])
    .optional()
    .openapi({
      description: 'Propose these sensitive-looking columns anyway (push-only, with a warning), or true for all of them. `exclude` wins. Default: none',
    }),
};

/** Read-only fields of a proposal's items: PUT accepts and ignores them, so a proposal can be sent back as it is. */
export const readOnlyProposalFields = {
  listColumn: z.unknown().optional().openapi({ description: 'Read-only, ignored' }),
  warnings: z.unknown().optional().openapi({ description: 'Read-only, ignored' }),
};

export const ProposalExtras = {
  keyColumn: ListColumnSchema.openapi({
    description: "The hidden, indexed, unique SyncBridgeKey column provisioning adds to every list; it holds each row's encoded key",
  }),
  title: z
    .object({
      filledFrom: z.enum(['key', 'mapping']).openapi({
        description:
          '`key` when no mapping writes Title: each item\'s Title is its key values joined with " / " (at most 255 characters); `mapping` when one does',
      }),
      sourceColumns: z.array(z.string()).openapi({ description: 'The key columns, or the source column mapped to Title' }),
      listColumn: ListColumnSchema.openapi({ description: "SharePoint's own Title column (every list has it; provisioning does not create it)" }),
    })
    .openapi('TitleRule'),
  sensitive: z
    .array(
      z.object({
        sourceColumn: z.string(),
        reason: z.string(),
        key: z.boolean().openapi({ description: "Part of the definition's key: always proposed, since every item needs it" }),
        proposed: z.boolean().openapi({ description: 'In `items` (a key column, or opted in with includeSensitive)' }),
      }),
    )
    .openapi({ description: 'Columns that look like secrets or sensitive identifiers, in column order, proposed or not' }),
};

/** The key column and the Title rule of a mapping set, as the push applies them. */
export function keyAndTitle(mappings: FieldMappingSpec[], keyColumns: string[]) {
  const toTitle = mappings.find((m) => m.targetColumn === TITLE_COLUMN);
  return {
    keyColumn: describeListColumn(keyColumnDefinition()),
    title: {
      filledFrom: toTitle ? ('mapping' as const) : ('key' as const),
      sourceColumns: toTitle ? [toTitle.sourceColumn] : keyColumns,
      listColumn: describeListColumn(titleColumnDefinition()),
    },
  };
}

/**
 * The definition's source table as last recorded, without reaching the source (so reading
 * mappings never waits on it); null when the definition is gone or nothing was recorded.
 */
export async function recordedSourceTable(deps: ApiDeps, definitionId: string): Promise<IntrospectedTable | null> {
  const [d] = await deps.store.db.select().from(schema.syncDefinitions).where(eq(schema.syncDefinitions.id, definitionId)).limit(1);
  if (!d) return null;
  const latest = await latestSnapshotOfDatabase(deps.store.db, d.databaseId, scopeOf({ schema: d.sourceSchema, table: d.sourceTable }));
  return latest ? (findTable(latest.snapshot, d.sourceSchema, d.sourceTable) ?? null) : null;
}

/** Each body with its mapping's listColumn (null for all when the table is unknown). */
export const withListColumns = <T extends object>(bodies: T[], specs: FieldMappingSpec[], table: IntrospectedTable | null) => {
  const columns = table ? listColumnsFor(specs, table) : [];
  return bodies.map((b, i) => ({ ...b, listColumn: columns[i] ?? null }));
};
