import { X509Certificate } from 'node:crypto';
import { z } from '@hono/zod-openapi';
import type { schema } from '@syncbridge/shared/db';
import { ApiError, ErrorCode, type FieldError } from './problem.ts';

/*
 * What a SharePoint connection's fields must hold for the layers that use them later:
 * - authorityHost: MSAL (@azure/identity) takes only an https authority, and resolveGraphConfig
 *   refuses anything else. No exception for loopback: the emulator's identity endpoint is https.
 * - graphBaseUrl: https. Plain http only on a loopback host: the SharePoint emulator serves Graph
 *   over http on 127.0.0.1 (`npm start`'s demo, the tests, the benchmarks), and a token sent there
 *   never leaves the machine. Elsewhere it would carry the bearer token in clear.
 * - both URLs: absolute, without user info (the clients would send it along), query or fragment
 *   (paths are appended to them).
 * - tenantId: @azure/identity refuses anything but [0-9a-zA-Z-.]; Entra ID knows a tenant by its
 *   GUID or by a verified domain name (contoso.onmicrosoft.com).
 * - clientId: an Entra ID application (client) id is a GUID.
 * - caCertificatePem: Node ignores a CA it cannot parse without a word, so a broken one failed
 *   later as an untrusted certificate; every CERTIFICATE block must parse.
 * The same rules check a stored row before it is used (assertUsableConnection), so a row saved
 * before they existed answers a 422 naming the field instead of a 500.
 */

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

const parseUrl = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};

/** Why `value` cannot be the service URL, or undefined when it can. Never throws (a refine that throws is a 500). */
function serviceUrlProblem(value: string, httpOnLoopback: boolean): string | undefined {
  const u = parseUrl(value);
  if (!u) return 'must be an absolute URL';
  if (u.username || u.password) return 'must not contain a user name or password';
  if (u.search || u.hash) return 'must not have a query or fragment';
  if (u.protocol === 'https:') return undefined;
  if (httpOnLoopback && u.protocol === 'http:' && LOOPBACK.has(u.hostname)) return undefined;
  return httpOnLoopback
    ? 'must use https (plain http is accepted only for a loopback host such as the local emulator)'
    : 'must use https (the identity client refuses any other scheme)';
}

function tenantIdProblem(value: string): string | undefined {
  if (GUID.test(value)) return undefined;
  const labels = value.split('.');
  if (value.length <= 253 && labels.length >= 2 && labels.every((l) => DOMAIN_LABEL.test(l)) && /[a-z]/i.test(labels.at(-1)!)) return undefined;
  return 'must be the tenant id (a GUID) or a verified domain name of the tenant (e.g. contoso.onmicrosoft.com)';
}

const clientIdProblem = (value: string) => (GUID.test(value) ? undefined : 'must be the application (client) id, a GUID');

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function caCertificateProblem(value: string): string | undefined {
  const blocks = value.match(CERTIFICATE_BLOCK) ?? [];
  if (!blocks.length) return 'must be a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)';
  // Another kind of PEM block (a private key pasted by mistake) is refused: this field is not secret.
  const other = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(value.replace(CERTIFICATE_BLOCK, ''));
  if (other) return `must hold only CERTIFICATE blocks, not ${other[1]}`;
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return blocks.length === 1 ? 'is not a readable PEM certificate' : `certificate ${i + 1} of ${blocks.length} is not a readable PEM certificate`;
    }
  }
  return undefined;
}

const checked = (schema: z.ZodString, problem: (value: string) => string | undefined) =>
  schema.superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

export const tenantIdField = checked(z.string().trim().min(1).max(253), tenantIdProblem).openapi({
  description: 'Entra ID tenant id (a GUID) or a verified domain of the tenant (e.g. contoso.onmicrosoft.com)',
  example: '00000000-0000-0000-0000-000000000000',
});

export const clientIdField = checked(z.string().trim().min(1).max(100), clientIdProblem).openapi({
  description: 'Application (client) id of the Entra ID app registration (a GUID)',
  format: 'uuid',
  example: '00000000-0000-0000-0000-000000000000',
});

export const graphBaseUrlField = checked(z.string().max(2048), (v) => serviceUrlProblem(v, true)).openapi({
  format: 'uri',
  description:
    'Microsoft Graph endpoint including version, e.g. https://graph.microsoft.com/v1.0. https; plain http only on a loopback host (the local SharePoint emulator)',
});

export const authorityHostField = checked(z.string().max(2048), (v) => serviceUrlProblem(v, false)).openapi({
  format: 'uri',
  description: 'Identity authority, e.g. https://login.microsoftonline.com (https only: the identity client refuses anything else)',
});

export const caCertificatePemField = checked(z.string().max(64_000), caCertificateProblem).openapi({
  description: 'Extra CA certificate(s) (PEM, CERTIFICATE blocks only) to trust, e.g. for a TLS-inspecting proxy',
});

type ConnectionRow = typeof schema.sharepointConnections.$inferSelect;

/** The fields of a stored connection that the rules above refuse (a row saved before they existed). */
export function storedConnectionProblems(
  row: Pick<ConnectionRow, 'tenantId' | 'clientId' | 'graphBaseUrl' | 'authorityHost' | 'caCertificatePem'>,
): FieldError[] {
  const checks: Array<[string, string | null, (v: string) => string | undefined]> = [
    ['tenantId', row.tenantId, tenantIdProblem],
    ['clientId', row.clientId, clientIdProblem],
    ['graphBaseUrl', row.graphBaseUrl, (v) => serviceUrlProblem(v, true)],
    ['authorityHost', row.authorityHost, (v) => serviceUrlProblem(v, false)],
    ['caCertificatePem', row.caCertificatePem, caCertificateProblem],
  ];
  return checks.flatMap(([field, value, problem]) => {
    const message = value === null ? undefined : problem(value);
    return message ? [{ field, message }] : [];
  });
}

/**
 * Refuses to use a stored connection whose fields the identity or Graph layer would reject:
 * a 422 naming each field and how to correct it, for every route that uses the connection.
 */
export function assertUsableConnection(row: ConnectionRow): void {
  const problems = storedConnectionProblems(row);
  if (!problems.length) return;
  const list = problems.map((p) => `${p.field} ${p.message}`).join('; ');
  throw new ApiError(
    422,
    ErrorCode.ValidationFailed,
    `SharePoint connection "${row.name}" (${row.id}) cannot be used: ${list}. Correct it with PATCH /v1/sharepoint-connections/${row.id}`,
    problems,
  );
}
