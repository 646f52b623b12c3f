import { z } from '@hono/zod-openapi';
import { schema } from '@syncbridge/shared/db';
import type { App, ApiDeps } from '../lib/context.ts';
import { registerCrud } from '../lib/crud.ts';
import { iso, name, timestamps, uuidFilter, uuidRef } from './common.ts';

type ConnectionRow = typeof schema.sharepointConnections.$inferSelect;

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https everywhere; plain http only for a loopback host (the local SharePoint emulator). */
const serviceUrl = (description: string) =>
  z
    .string()
    .url('must be an absolute URL')
    .refine((v) => {
      const u = new URL(v);
      return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.has(u.hostname));
    }, 'must use https (plain http is accepted only for a loopback host such as the local emulator)')
    .openapi({ description });

const ConnectionSchema = z
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
    status: z.enum(schema.healthStatus.enumValues),
    lastTestAt: z.string().datetime().nullable(),
    lastTestError: z.string().nullable(),
    ...timestamps,
  })
  .openapi('SharePointConnection');

const guidish = (what: string) => z.string().trim().min(1).max(100).openapi({ description: what, example: '00000000-0000-0000-0000-000000000000' });
const writable = {
  name: name('Connection name, unique per app'),
  tenantId: guidish('Entra ID tenant id (GUID) or verified domain'),
  clientId: guidish('Application (client) id of the Entra ID app registration'),
  clientSecret: z.string().min(1).max(2048).openapi({ description: 'Write-only; stored encrypted (AES-256-GCM).', writeOnly: true }),
  graphBaseUrl: serviceUrl('Microsoft Graph endpoint including version, e.g. https://graph.microsoft.com/v1.0').optional(),
  authorityHost: serviceUrl('Identity authority, e.g. https://login.microsoftonline.com').optional(),
  caCertificatePem: z
    .string()
    .includes('-----BEGIN CERTIFICATE-----', { message: 'must be a PEM certificate' })
    .max(64_000)
    .optional()
    .openapi({ description: 'Extra CA certificate (PEM) to trust, e.g. for a TLS-inspecting proxy' }),
  ruPerMinute: z
    .number()
    .int()
    .min(10)
    .max(1_000_000)
    .optional()
    .openapi({ description: 'SharePoint resource units per minute this app may spend (Microsoft: 1,250 for tenants up to 1k licences)' }),
};
const CreateConnection = z
  .object({ appId: uuidRef('Owning app'), ...writable })
  .strict()
  .openapi('CreateSharePointConnection');
const UpdateConnection = z
  .object({ ...writable, caCertificatePem: writable.caCertificatePem.nullable() })
  .partial()
  .strict()
  .openapi('UpdateSharePointConnection');

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
    toPatch: ({ clientSecret, ...rest }) => ({ ...rest, ...(clientSecret === undefined ? {} : { clientSecretEncrypted: deps.secrets.encrypt(clientSecret) }) }),
  });
}
