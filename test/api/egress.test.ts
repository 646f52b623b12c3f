import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from '@syncbridge/sharepoint-emulator';
import { loadApiConfig } from '@syncbridge/shared/config';
import { egressPolicyFromConfig } from '@syncbridge/shared/net';
import { TEST_PG_ADMIN_URL } from '../harness/database.ts';
import { startProbeServer, type ProbeServer } from '../harness/probe-servers.ts';
import { startTestStack, type TestStack } from '../harness/stack.ts';
import { apiJson } from '../harness/sync.ts';

/*
 * Issue 8, defect 3: the API must not be a port scanner. An egress policy decides, per
 * resolved address, where tests, introspection and discovery may connect; by default (outside
 * local mode) loopback, link-local (cloud metadata) and SyncBridge's own servers are refused
 * with a 422 naming the field and saying how to allow it, and nothing is sent there.
 */

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors?: Array<{ field: string; message: string }>;
}

/** The API's policy as a deployment gets it: from the environment, through the one schema. */
const policyFrom = (env: Record<string, string>) =>
  egressPolicyFromConfig(
    loadApiConfig({
      DATABASE_URL: TEST_PG_ADMIN_URL,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      SYNCBRIDGE_ENCRYPTION_KEYS: `k:${Buffer.alloc(32, 7).toString('base64')}`,
      ...env,
    }),
  );

async function setUp(stack: TestStack, label: string) {
  const appId = (await apiJson(stack, '/v1/apps', { method: 'POST', json: { name: label, ownerTeam: 't' } }, 201)).id;
  const databaseId = (
    await apiJson(stack, '/v1/databases', { method: 'POST', json: { appId, name: `${label}-db`, engine: 'postgres', environment: 'dev' } }, 201)
  ).id;
  let n = 0;
  const instance = async (host: string, port: number) =>
    (
      await apiJson(
        stack,
        '/v1/database-instances',
        {
          method: 'POST',
          json: { databaseId, name: `i${++n}`, host, port, databaseName: 'db', username: 'u', password: 'pw-1234567', sslMode: 'disable', role: 'replica' },
        },
        201,
      )
    ).id;
  const connection = async (overrides: Record<string, unknown>) =>
    (
      await apiJson(
        stack,
        '/v1/sharepoint-connections',
        {
          method: 'POST',
          json: { appId, name: `c${++n}`, tenantId: DEFAULT_TENANT_ID, clientId: DEFAULT_CLIENT_ID, clientSecret: DEFAULT_CLIENT_SECRET, ...overrides },
        },
        201,
      )
    ).id;
  return { instance, connection };
}

async function refused(res: Response, field: string): Promise<Problem> {
  const text = await res.text();
  expect(res.status, text).toBe(422);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  const problem = JSON.parse(text) as Problem;
  expect(problem.code).toBe('validation_failed');
  expect(problem.errors?.[0]?.field).toBe(field);
  expect(problem.detail).toMatch(/egress policy/);
  return problem;
}

describe('the default egress policy outside local mode (issue 8, defect 3)', () => {
  let stack: TestStack;
  let probe: ProbeServer;
  let make: Awaited<ReturnType<typeof setUp>>;

  beforeAll(async () => {
    stack = await startTestStack({ egress: policyFrom({}) });
    probe = await startProbeServer('silent');
    make = await setUp(stack, 'egress-default');
  });
  afterAll(async () => {
    await probe?.close();
    await stack?.close();
  });

  it('refuses a loopback instance with a 422 naming host and how to allow it, without connecting or recording anything', async () => {
    const id = await make.instance('127.0.0.1', probe.port);
    const problem = await refused(await stack.api(`/v1/database-instances/${id}/test`, { method: 'POST' }), 'host');
    expect(problem.detail).toMatch(/loopback/);
    expect(problem.detail).toContain('SYNCBRIDGE_EGRESS_ALLOW');
    expect(problem.detail).toContain('SYNCBRIDGE_EGRESS_ALLOW_LOCAL=true');
    await refused(await stack.api(`/v1/database-instances/${id}/schema`), 'host');
    expect(probe.connections).toBe(0);
    expect(await apiJson(stack, `/v1/database-instances/${id}`)).toMatchObject({ status: 'unknown', lastHealthAt: null });
  });

  it('checks every address a name resolves to (localhost), and IPv4-mapped IPv6 as the IPv4 address it is', async () => {
    for (const host of ['localhost', '::ffff:127.0.0.1', '0.0.0.0']) {
      const id = await make.instance(host, probe.port);
      await refused(await stack.api(`/v1/database-instances/${id}/test`, { method: 'POST' }), 'host');
    }
    expect(probe.connections).toBe(0);
  });

  it('refuses link-local addresses, where cloud metadata services answer', async () => {
    const id = await make.instance('169.254.169.254', 80);
    const problem = await refused(await stack.api(`/v1/database-instances/${id}/test`, { method: 'POST' }), 'host');
    expect(problem.detail).toMatch(/link-local/);
  });

  it('refuses a SharePoint connection whose graphBaseUrl or authorityHost is refused, naming that field, before anything is sent', async () => {
    // 192.0.2.0/24 is a documentation range: allowed by the policy, never contacted because the other URL is refused first.
    const graph = await make.connection({ authorityHost: 'https://192.0.2.10', graphBaseUrl: `http://127.0.0.1:${probe.port}/v1.0` });
    await refused(await stack.api(`/v1/sharepoint-connections/${graph}/test`, { method: 'POST' }), 'graphBaseUrl');
    await refused(await stack.api(`/v1/sharepoint-connections/${graph}/sites`), 'graphBaseUrl');
    const authority = await make.connection({ authorityHost: `https://localhost:${probe.port}`, graphBaseUrl: 'https://192.0.2.10/v1.0' });
    const problem = await refused(await stack.api(`/v1/sharepoint-connections/${authority}/test`, { method: 'POST' }), 'authorityHost');
    expect(problem.detail).toMatch(/localhost resolves to a loopback address/);
    await refused(await stack.api(`/v1/sharepoint-connections/${authority}/sites/x/lists`), 'authorityHost');
    expect(probe.connections).toBe(0);
    const stored = await apiJson<{ status: string }>(stack, `/v1/sharepoint-connections/${authority}`);
    expect(stored.status).toBe('unknown');
  });
});

describe('allow and deny lists (issue 8, defect 3)', () => {
  let stack: TestStack;
  let probe: ProbeServer;
  let make: Awaited<ReturnType<typeof setUp>>;
  const metaStore = new URL(TEST_PG_ADMIN_URL);

  beforeAll(async () => {
    // Loopback is allowed by name; one address of it is denied; the meta-store stays protected.
    stack = await startTestStack({ egress: policyFrom({ SYNCBRIDGE_EGRESS_ALLOW: '127.0.0.0/8', SYNCBRIDGE_EGRESS_DENY: '127.0.0.2' }) });
    probe = await startProbeServer('closing');
    make = await setUp(stack, 'egress-lists');
  });
  afterAll(async () => {
    await probe?.close();
    await stack?.close();
  });

  it('an allowed range lifts the loopback refusal: the test runs', async () => {
    const id = await make.instance('127.0.0.1', probe.port);
    const result = await apiJson<{ ok: boolean; errorClass: string }>(stack, `/v1/database-instances/${id}/test`, { method: 'POST' });
    expect(result).toMatchObject({ ok: false, errorClass: 'protocol' });
    expect(probe.connections).toBeGreaterThan(0);
  });

  it('the meta-store stays refused unless its single address is allowed', async () => {
    const id = await make.instance(metaStore.hostname, Number(metaStore.port || 5432));
    const problem = await refused(await stack.api(`/v1/database-instances/${id}/test`, { method: 'POST' }), 'host');
    expect(problem.detail).toMatch(/meta-store's own server/);
    expect(problem.detail).toContain(`${metaStore.hostname}/32`);
  });

  it('a denied address is refused even inside an allowed range, and an address outside the allow list is refused', async () => {
    const denied = await make.instance('127.0.0.2', probe.port);
    expect((await refused(await stack.api(`/v1/database-instances/${denied}/test`, { method: 'POST' }), 'host')).detail).toMatch(
      /denied range 127\.0\.0\.2\/32.*SYNCBRIDGE_EGRESS_DENY/,
    );
    const outside = await make.instance('192.0.2.10', 5432);
    expect((await refused(await stack.api(`/v1/database-instances/${outside}/test`, { method: 'POST' }), 'host')).detail).toMatch(
      /outside the allowed ranges.*SYNCBRIDGE_EGRESS_ALLOW/,
    );
  });

  it('a wrong range in the environment stops the service with a message naming the variable', () => {
    expect(() => policyFrom({ SYNCBRIDGE_EGRESS_DENY: '10.0.0.0/33' })).toThrow(/SYNCBRIDGE_EGRESS_DENY.*prefix length/s);
  });
});
