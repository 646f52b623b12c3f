import { randomUUID } from 'node:crypto';
import { request, type Agent } from 'node:https';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphAuthError, GraphGateway } from '../../src/graph/index.ts';
import { createAgents } from '../../src/graph/http.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { DEFAULT_TENANT_ID, Harness } from './emulator-harness.ts';

let harness: Harness;
let siteId: string;

beforeAll(async () => {
  harness = await Harness.start();
  const gateway = harness.gateway();
  siteId = (await gateway.getSiteByPath('contoso.sharepoint.com', '/sites/syncbridge')).id as string;
  gateway.close();
});
afterAll(() => harness.close());

describe('authentication against the emulated identity platform', () => {
  it('acquires a token through the extra CA and reads the site', async () => {
    const gateway = harness.gateway();
    const result = await gateway.testConnection({ siteId });
    gateway.close();
    expect(result).toMatchObject({ ok: true, stage: 'done', site: { id: siteId, webUrl: 'https://contoso.sharepoint.com/sites/syncbridge' } });
  });

  it('without a site, passes on valid credentials and warns when the root site is not readable', async () => {
    const gateway = harness.gateway();
    const result = await gateway.testConnection();
    gateway.close();
    // The emulator has no root site (like an app limited to Sites.Selected would see it).
    expect(result).toMatchObject({ ok: true, stage: 'done', status: 404 });
    expect(result.warning).toMatch(/root site/);
  });

  it('reads the application permissions from the token and fails, naming Sites.Manage.All, for an app that only has Sites.ReadWrite.All', async () => {
    const good = harness.gateway();
    const passed = await good.testConnection({ siteId });
    good.close();
    expect(passed).toMatchObject({ ok: true, stage: 'done', roles: ['Sites.Manage.All'] });
    expect(passed.warning).toBeUndefined();

    const client = { clientId: randomUUID(), clientSecret: `secret-${randomUUID()}`, roles: ['Sites.ReadWrite.All'] };
    await harness.admin('POST', '/tenants', { tenantId: DEFAULT_TENANT_ID, clients: [client], seedDefaultSite: false });
    const writer = harness.gateway({ clientId: client.clientId, clientSecret: client.clientSecret });
    const result = await writer.testConnection({ siteId });
    // What the check predicts is what Graph does: list creation is refused.
    const refused = await writer.createList(siteId, { displayName: `Refused ${randomUUID().slice(0, 8)}` }).catch((e: unknown) => e);
    writer.close();
    expect(result).toMatchObject({ ok: false, stage: 'permissions', code: 'missingPermission', roles: ['Sites.ReadWrite.All'], site: { id: siteId } });
    expect(result.message).toContain('Sites.Manage.All');
    expect(refused).toMatchObject({ status: 403, code: 'accessDenied' });
  });

  it('reports a wrong secret as a typed, non-retryable auth failure without leaking the secret', async () => {
    const secret = 'wrong-secret-value-1234';
    const lines: string[] = [];
    const logger = createLogger({
      service: 'graph-test',
      level: 'debug',
      destination: new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }),
    });
    const gateway = GraphGateway.create(harness.connection({ clientSecret: secret }), { logger });
    const result = await gateway.testConnection({ siteId });
    expect(result).toMatchObject({ ok: false, stage: 'token', code: 'invalid_client' });
    expect(result.message).toContain('AADSTS7000215');
    expect(JSON.stringify(result)).not.toContain(secret);

    const error = await gateway.getSite(siteId).catch((e: unknown) => e);
    gateway.close();
    expect(error).toBeInstanceOf(GraphAuthError);
    expect(error).toMatchObject({ code: 'invalid_client', retryable: false, failureType: 'AuthenticationFailed' });
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(String((error as Error).stack)).not.toContain(secret);
    expect(lines.join('')).not.toContain(secret);
  });

  it('names an unknown app and an unknown tenant', async () => {
    const unknownApp = harness.gateway({ clientId: '00000000-0000-0000-0000-00000000abcd' });
    expect(await unknownApp.testConnection({ siteId })).toMatchObject({ ok: false, stage: 'token', code: 'unauthorized_client' });
    unknownApp.close();
    const unknownTenant = harness.gateway({ tenantId: '00000000-0000-0000-0000-00000000dcba' });
    const result = await unknownTenant.testConnection({ siteId });
    unknownTenant.close();
    expect(result).toMatchObject({ ok: false, stage: 'token' });
    expect(result.message).toMatch(/AADSTS90002|not found/);
  });

  it('refuses the emulator certificate when the CA is not configured', async () => {
    const gateway = harness.gateway({ caCertificatePem: undefined });
    const result = await gateway.testConnection({ siteId });
    gateway.close();
    expect(result).toMatchObject({ ok: false, stage: 'token', code: 'tlsUntrusted' });
  });

  it('trusts the extra CA for Graph-side HTTPS too (the agent used for Graph calls)', async () => {
    const url = `${harness.emulator.authorityHost}/${DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration`;
    const get = (agent: Agent) =>
      new Promise<number>((resolve, reject) => {
        request(url, { agent }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    const trusting = createAgents(harness.emulator.caCertificatePem);
    const plain = createAgents(undefined);
    try {
      expect(await get(trusting.https)).toBe(200);
      await expect(get(plain.https)).rejects.toThrow(/certificate/i);
    } finally {
      trusting.destroy();
      plain.destroy();
    }
  });
});
