import { z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { authorityHostField, caCertificatePemField, clientIdField, graphBaseUrlField, tenantIdField } from '../lib/connection-rules.ts';
import { registerCrud } from '../lib/crud.ts';
import { requireSecretWhenMoved, secretResendNote } from '../lib/secret-resend.ts';
import { iso, name, timestamps, uuidFilter, uuidRef } from './common.ts';

type ConnectionRow = typeof schema.sharepointConnections.$inferSelect;

export const ConnectionSchema = z
  .object({
    id: z.string().uuid(),
    appId: z.string().uuid(),
    name: z.string(),
    tenantId: z.string(),
    clientId: z.string(),
    hasClientSecret: z.boolean().openapi({ description: 'Whether a client secret is stored. The secret itself is write-only.' }),
    graphBaseUrl: z.string(),
    authorityHost: z.string(),
    hasCaCertificate: z.boolean(),
    ruPerMinute: z.number().int(),
    ruPerDay: z.number().int().nullable().openapi({ description: 'Resource units per 24 hours; null: no daily cap' }),
    bulkShare: z.number().openapi({ description: 'Share of the budget bulk work keeps while smaller work waits' }),
    status: z.enum(schema.healthStatus.enumValues),
    lastTestAt: z.string().datetime().nullable(),
    lastTestError: z.string().nullable(),
    ...timestamps,
  })
  .openapi('SharePointConnection');

// The rules of these fields (connection-rules.ts) are what the identity and Graph layers require, checked here rather than failing on use.
const writable = {
  name: name('Connection name, unique per app'),
  tenantId: tenantIdField,
  clientId: clientIdField,
  clientSecret: z.string().min(1).max(2048).openapi({ description: 'Write-only; stored encrypted (AES-256-GCM).', writeOnly: true }),
  graphBaseUrl: graphBaseUrlField.optional(),
  authorityHost: authorityHostField.optional(),
  caCertificatePem: caCertificatePemField.optional(),
  ruPerMinute: z
    .number()
    .int()
    .min(10)
    .max(1_000_000)
    .optional()
    .openapi({ description: 'SharePoint resource units per minute this app may spend (Microsoft: 1,250 for tenants up to 1k licences)' }),
  ruPerDay: z
    .number()
    .int()
    .min(100)
    .max(1_000_000_000)
    .nullable()
    .optional()
    .openapi({ description: 'Resource units per 24 hours this app may spend (Microsoft publishes a daily limit per tenant size); null: no daily cap' }),
  bulkShare: z.number().gt(0).max(1).optional().openapi({
    description:
      'While incremental runs, ingress or "run now" wait for budget, bulk work (initial loads, full passes, re-shards, repairs) still gets this share of it (default 0.5); the rest goes to the smaller work first',
  }),
};
const CreateConnection = z
  .object({ appId: uuidRef('Owning app'), ...writable })
  .strict()
  .openapi('CreateSharePointConnection');
/** The fields that decide where the stored client secret goes (and the bearer tokens it buys), or whom TLS trusts on the way. */
const SECRET_TARGET = ['tenantId', 'clientId', 'authorityHost', 'graphBaseUrl', 'caCertificatePem'] as const;
const UpdateConnection = z
  .object({
    ...writable,
    clientSecret: writable.clientSecret.openapi({
      description: 'Write-only; stored encrypted (AES-256-GCM). Required when tenantId, clientId, authorityHost, graphBaseUrl or caCertificatePem changes.',
    }),
    caCertificatePem: writable.caCertificatePem.nullable(),
  })
  .partial()
  .strict()
  .openapi('UpdateSharePointConnection', { description: secretResendNote(SECRET_TARGET, 'clientSecret') });

export const connectionToResponse = (r: ConnectionRow) => ({
  id: r.id,
  appId: r.appId,
  name: r.name,
  tenantId: r.tenantId,
  clientId: r.clientId,
  hasClientSecret: r.clientSecretEncrypted !== null,
  graphBaseUrl: r.graphBaseUrl,
  authorityHost: r.authorityHost,
  hasCaCertificate: r.caCertificatePem !== null,
  ruPerMinute: r.ruPerMinute,
  ruPerDay: r.ruPerDay,
  bulkShare: r.bulkShare,
  status: r.status,
  lastTestAt: iso(r.lastTestAt),
  lastTestError: r.lastTestError,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export function registerSharePointConnections(app: App, deps: ApiDeps) {
  registerCrud<ConnectionRow, z.infer<typeof CreateConnection>, z.infer<typeof UpdateConnection>>(app, deps, {
    basePath: '/v1/sharepoint-connections',
    tag: 'SharePoint connections',
    singular: 'SharePointConnection',
    table: schema.sharepointConnections,
    response: ConnectionSchema,
    create: CreateConnection,
    update: UpdateConnection,
    writeRole: 'admin',
    listFilters: { appId: { column: schema.sharepointConnections.appId, schema: uuidFilter('Only connections of this app') } },
    toResponse: connectionToResponse,
    toInsert: ({ clientSecret, ...rest }) => ({ ...rest, clientSecretEncrypted: deps.secrets.encrypt(clientSecret) }),
    toPatch: (body, _deps, existing) => {
      requireSecretWhenMoved({ body, existing, fields: SECRET_TARGET, secretField: 'clientSecret', hasStoredSecret: existing.clientSecretEncrypted !== null });
      const { clientSecret, ...rest } = body;
      return { ...rest, ...(clientSecret === undefined ? {} : { clientSecretEncrypted: deps.secrets.encrypt(clientSecret) }) };
    },
  });
}
