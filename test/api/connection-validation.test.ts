import { rootCertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, startTestStack, type TestStack } from '../harness/stack.ts';

type Json = Record<string, unknown> & { id: string };
interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

const TENANT = '7f0c2d1e-5b3a-4c1d-9e8f-00000000aaaa';
const CLIENT = '3b2a1c0d-8e7f-4a6b-9c5d-00000000bbbb';
const BROKEN_PEM = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';

describe('SharePoint connections hold only values the identity and Graph layers accept', () => {
  let stack: TestStack;
  let appId: string;
  let operator: string;
  let viewer: string;

  const call = async (method: string, path: string, json?: unknown, key?: string) => {
    const res = await stack.api(path, { method, ...(json === undefined ? {} : { json }), ...(key ? { key } : {}) });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: (text ? JSON.parse(text) : null) as Json & Problem };
  };
  const valid = (overrides: Record<string, unknown> = {}) => ({
    appId,
    name: `c-${Math.random().toString(36).slice(2)}`,
    tenantId: TENANT,
    clientId: CLIENT,
    clientSecret: 'a-client-secret-value',
    ...overrides,
  });
  const expectFieldError = (res: Awaited<ReturnType<typeof call>>, status: number, field: string) => {
    expect(res.status, res.text).toBe(status);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.errors?.map((e) => e.field)).toContain(field);
  };

  beforeAll(async () => {
    stack = await startTestStack();
    appId = (await call('POST', '/v1/apps', { name: 'a', ownerTeam: 't' })).body.id;
    operator = await createKey(stack, 'operator');
    viewer = await createKey(stack, 'viewer');
  });
  afterAll(async () => {
    await stack?.close();
  });

  const refused: Array<[string, unknown]> = [
    ['authorityHost', 'http://login.example.com'],
    // MSAL takes no plain-http authority, loopback included (the emulator's identity endpoint is https).
    ['authorityHost', 'http://127.0.0.1:8691'],
    ['authorityHost', 'not a url'],
    ['authorityHost', 'https://user:pass@login.example.com'],
    ['graphBaseUrl', 'not a url'],
    ['graphBaseUrl', 'http://graph.example.com/v1.0'],
    ['graphBaseUrl', 'ftp://graph.example.com/v1.0'],
    ['graphBaseUrl', 'https://graph.example.com/v1.0?x=1'],
    ['tenantId', 'my tenant'],
    ['tenantId', 'tenant_1'],
    ['tenantId', 'contoso'],
    ['clientId', 'client-1'],
    ['clientId', 'not a guid'],
    ['caCertificatePem', BROKEN_PEM],
    ['caCertificatePem', 'hello'],
  ];

  it.each(refused)('refuses %s = %j at create and update with a 400 naming it', async (field, value) => {
    expectFieldError(await call('POST', '/v1/sharepoint-connections', valid({ [field]: value })), 400, `body.${field}`);
    const ok = await call('POST', '/v1/sharepoint-connections', valid());
    expect(ok.status, ok.text).toBe(201);
    // The secret comes along so the re-send rule is not what refuses it.
    expectFieldError(await call('PATCH', `/v1/sharepoint-connections/${ok.body.id}`, { [field]: value, clientSecret: 'x-secret' }), 400, `body.${field}`);
  });

  it('accepts Microsoft 365, a verified domain, the loopback emulator over http and a real PEM', async () => {
    const m365 = await call(
      'POST',
      '/v1/sharepoint-connections',
      valid({
        tenantId: 'Contoso.onmicrosoft.com',
        graphBaseUrl: 'https://graph.microsoft.com/v1.0',
        authorityHost: 'https://login.microsoftonline.com',
        caCertificatePem: rootCertificates[0],
      }),
    );
    expect(m365.status, m365.text).toBe(201);
    const emulator = await call(
      'POST',
      '/v1/sharepoint-connections',
      valid({ graphBaseUrl: 'http://127.0.0.1:8690/v1.0', authorityHost: 'https://127.0.0.1:8691', clientId: CLIENT.toUpperCase() }),
    );
    expect(emulator.status, emulator.text).toBe(201);
  });

  const storedBad: Array<[string, string, string]> = [
    ['authorityHost', 'authority_host', 'http://login.example.com'],
    ['authorityHost', 'authority_host', 'not a url'],
    ['graphBaseUrl', 'graph_base_url', 'gopher://graph.example.com/v1.0'],
    ['tenantId', 'tenant_id', 'my tenant'],
    ['clientId', 'client_id', 'client-1'],
    ['caCertificatePem', 'ca_certificate_pem', BROKEN_PEM],
  ];

  it.each(storedBad)('a stored %s the API would refuse answers 422 naming it on every use, viewer reads included', async (field, column, value) => {
    const conn = await call('POST', '/v1/sharepoint-connections', valid({ authorityHost: 'https://127.0.0.1:1', graphBaseUrl: 'http://127.0.0.1:1/v1.0' }));
    expect(conn.status, conn.text).toBe(201);
    // A row saved before these rules existed.
    await stack.store.sql.unsafe(`update sharepoint_connections set ${column} = $1 where id = $2`, [value, conn.body.id]);
    const uses: Array<[string, string, string]> = [
      ['GET', `/v1/sharepoint-connections/${conn.body.id}/sites`, viewer],
      ['GET', `/v1/sharepoint-connections/${conn.body.id}/sites/s1/lists`, viewer],
      ['GET', `/v1/sharepoint-connections/${conn.body.id}/sites/s1/lists/l1/columns`, viewer],
      ['POST', `/v1/sharepoint-connections/${conn.body.id}/test`, operator],
    ];
    for (const [method, path, key] of uses) {
      const res = await call(method, path, undefined, key);
      expectFieldError(res, 422, field);
      expect(res.body.detail).toContain(`PATCH /v1/sharepoint-connections/${conn.body.id}`);
    }
    // The row itself still reads, so it can be seen and fixed.
    expect((await call('GET', `/v1/sharepoint-connections/${conn.body.id}`, undefined, viewer)).status).toBe(200);
  });
});
